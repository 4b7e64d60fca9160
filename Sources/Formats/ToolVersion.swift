/// The version recorded in every artifact this tool writes.
public enum ToolVersion {
    public static let string = "0.1.0"
}
