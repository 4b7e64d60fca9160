import Formats
import Foundation

/// What every harness shares: the input as `Data` or as a file, and the one property all parsers promise.
enum FuzzInput {
    /// A directory of this process's own, for parsers that read a path.
    private static let directory: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
            .appendingPathComponent("sae-report-fuzz-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzInput.directory) }
        return url
    }()

    static func data(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Data {
        Data(bytes: bytes, count: count)
    }

    /// Writes the input to `name` in this process's directory (replacing the previous input) and returns its URL.
    static func file(_ bytes: UnsafePointer<UInt8>, _ count: Int, name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        try! data(bytes, count).write(to: url)
        return url
    }
}

/// Runs `body` on one input. Malformed input must end in an `InputError`; any other error is a finding, and so is
/// a trap or a sanitizer report inside `body`.
func expectOnlyInputErrors(_ body: () throws -> Void) {
    do {
        try body()
    } catch is InputError {
    } catch {
        fatalError("the parser threw \(type(of: error)), not an InputError: \(error)")
    }
}
