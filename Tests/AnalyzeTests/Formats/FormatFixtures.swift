@testable import Formats
import Foundation
import Testing

/// Paths and expected values for the fixtures written by `scripts/fixtures/make_format_fixtures.py`.
enum FormatFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    struct ExpectedTensor: Decodable {
        var shape: [Int]
        var bits: [UInt32]
        /// numpy's dtype string, for numpy fixtures.
        var descr: String?
        /// Exact values of integer and bool arrays.
        var ints: [Int64]?
        var tensor: FloatTensor { FloatTensor(shape: shape, values: bits.map(Float.init(bitPattern:))) }
    }

    /// `expected.json`: for each fixture file, each tensor's shape and float32 bit patterns as torch converts them.
    static let expected: [String: [String: ExpectedTensor]] = {
        let data = try! Data(contentsOf: url("expected.json"))
        return try! JSONDecoder().decode([String: [String: ExpectedTensor]].self, from: data)
    }()

    /// The fixture files in a subdirectory, sorted.
    static func files(in relativePath: String) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(relativePath).path)) ?? []
        return names.sorted().map { url(relativePath).appendingPathComponent($0) }
    }
}

/// Bitwise equality, so -0 != +0, except that any NaN equals any NaN (torch widens a half NaN to a different
/// payload than IEEE conversion does; both are NaN).
func sameBits(_ a: FloatTensor, _ b: FloatTensor) -> Bool {
    a.shape == b.shape
        && zip(a.values, b.values).allSatisfy { x, y in
            x.isNaN ? y.isNaN : x.bitPattern == y.bitPattern
        }
}

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("formats-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A small seeded generator (SplitMix64) so fuzz cases are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Mutations of a valid file: truncations, single byte flips, and runs of random bytes.
func fuzzedVariants(of original: Data, count: Int, seed: UInt64) -> [Data] {
    var generator = SeededGenerator(seed: seed)
    var variants: [Data] = []
    for index in 0..<count {
        var bytes = original
        switch index % 3 {
        case 0:
            bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))
        case 1:
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
            }
        default:
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            let end = min(bytes.count, start + Int.random(in: 1...16, using: &generator))
            for position in start..<end { bytes[position] = UInt8.random(in: 0...255, using: &generator) }
        }
        variants.append(bytes)
    }
    return variants
}
