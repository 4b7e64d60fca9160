import Foundation

/// Paths of the committed site fixtures and scratch directories for tests.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/site")
    /// A synthetic run in our full layout (scripts/fixtures/make_site_fixture.py --features 24 --examples 5).
    static let synthetic = root.appendingPathComponent("synthetic")
    /// The seed's real run files with 50 of its feature-summary records (scripts/fixtures/make_site_fixture.py --seed-subset).
    static let seed = root.appendingPathComponent("seed")

    /// A fresh empty directory under the system temporary directory.
    static func scratch(_ name: String = #function) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sitegen-tests-\(name.filter(\.isLetter))-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies `fixture` into a scratch directory (writable), so a test can damage it.
    static func copy(_ fixture: URL, _ name: String = #function) -> URL {
        let target = scratch(name).appendingPathComponent("analysis")
        try! FileManager.default.copyItem(at: fixture, to: target)
        return target
    }

    static func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
}
