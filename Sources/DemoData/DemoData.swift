import Foundation

/// The embedded demo (see demo/README.md): a tiny Qwen3-architecture model, a BatchTopK SAE trained on its
/// `blocks.2.hook_resid_post`, and a generated corpus, bundled so that `sae-report demo` needs nothing else.
public enum DemoData {
    public static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("demo") }
    public static var model: URL { directory.appendingPathComponent("model") }
    public static var sae: URL { directory.appendingPathComponent("sae") }
    public static var corpus: URL { directory.appendingPathComponent("corpus.json") }
}
