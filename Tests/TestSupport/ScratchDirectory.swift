import Foundation

/// A temporary directory removed when the value is released.
public final class ScratchDirectory {
    public let url: URL

    public init(prefix: String = "sae-report-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
