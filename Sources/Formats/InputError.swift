import Foundation

/// A problem with something the user gave us: a file that is missing, malformed, or inconsistent with another.
/// `description` is the single line the CLI prints; it always names the file (when there is one) and the problem.
public struct InputError: Error, CustomStringConvertible, Equatable {
    public var path: String?
    public var message: String

    public init(_ message: String, path: String? = nil) {
        self.path = path
        self.message = message
    }

    public init(_ message: String, url: URL) {
        self.init(message, path: url.path)
    }

    public var description: String {
        guard let path else { return message }
        return "\(path): \(message)"
    }
}
