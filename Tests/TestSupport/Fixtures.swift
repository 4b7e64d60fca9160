import Foundation

/// Where the committed reference fixtures are (`Tests/Fixtures`, written by `scripts/fixtures/make_*_fixtures.py`).
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A file or folder under `Tests/Fixtures`, e.g. `url("model/tiny")`.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }
}
