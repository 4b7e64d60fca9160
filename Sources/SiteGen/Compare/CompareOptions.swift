import Foundation

/// What `sae-report compare` was asked for beyond the run directories.
public struct CompareOptions: Sendable {
    /// Whether feature matching by decoder cosine runs.
    public enum Matching: String, Sendable, CaseIterable {
        /// Match every pair that can be matched; a pair that cannot (SAE not found, d_in differs) gets a note.
        case auto
        /// As `auto`, but a pair that cannot be matched is an error.
        case require
        /// No matching (the SAEs are not read).
        case off
    }

    public var matching: Matching = .auto
    /// A feature whose best match has a lower cosine than this is listed as unmatched.
    public var threshold: Double = 0.7
    /// Site directories given on the command line, by run index (0 = run A); others are looked for next to the run.
    public var sites: [Int: URL] = [:]
    /// SAE directories given on the command line, by run index; others come from the run's config `sae_path`.
    public var saes: [Int: URL] = [:]

    public init() {}

    /// The label of the run at `index`: A, B, C, …
    public static func label(_ index: Int) -> String { String(UnicodeScalar(UInt8(65 + index))) }

    /// The most runs one comparison takes (one letter each).
    public static let maxRuns = 26
}
