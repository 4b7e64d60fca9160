@testable import Formats
import Foundation
@testable import SiteGen
import Testing

/// `JSONFile.decode`'s fast path (Formats' parser and `JSONValueDecoder`) against Foundation's `JSONDecoder`: the same
/// values for every record of the committed fixtures, and Foundation's answer wherever the fast path declines.
@Suite struct JSONValueDecoderTests {
    static let fixtures = [
        Fixtures.synthetic.appendingPathComponent("results/feature_summaries_20260101_120000.jsonl"),
        Fixtures.seed.appendingPathComponent("results/feature_summaries_20251213_151033.jsonl"),
    ]

    @Test func everyFixtureRecordDecodesAsFoundationDecodesIt() throws {
        var checked = 0
        for url in Self.fixtures {
            for line in Fixtures.text(url).split(separator: "\n") where !line.isEmpty {
                let data = Data(line.utf8)
                let fast = try JSONValueDecoder.decode(FeatureRecord.self, from: try JSONValue(parsing: data))
                let foundation = try JSONDecoder().decode(FeatureRecord.self, from: data)
                // Every stored property, doubles printed in full (shortest round-trip form).
                #expect(String(describing: fast) == String(describing: foundation), "\(url.lastPathComponent): \(line.prefix(40))")
                checked += 1
            }
        }
        #expect(checked > 20)
    }

    @Test func leavesAndArraysOfLeaves() throws {
        let value = try JSONValue(parsing: Data(#"{"a": [1, 2.5, -3e2], "b": [null, 4], "c": ["x", "\u00e9"], "d": 7}"#.utf8))
        struct Leaves: Decodable, Equatable {
            var a: [Double]
            var b: [Double?]
            var c: [String]
            var d: Int
            var e: Int?
        }
        #expect(try JSONValueDecoder.decode(Leaves.self, from: value) == Leaves(a: [1, 2.5, -300], b: [nil, 4], c: ["x", "é"], d: 7))
    }

    @Test func declinesWhatItDoesNotReadExactlyAndFoundationDecides() throws {
        struct Count: Decodable { var n: Int }
        // An integer written as a fraction: the fast path refuses; Foundation's decoder takes it.
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Count.self, from: try JSONValue(parsing: Data(#"{"n": 3.0}"#.utf8))) }
        #expect(try JSONFile.decode(Count.self, from: Data(#"{"n": 3.0}"#.utf8)).n == 3)
        // NaN (Python's json writes it) is not JSON: Foundation's JSON5 mode reads it.
        struct Value: Decodable { var x: Double }
        #expect(try JSONFile.decode(Value.self, from: Data(#"{"x": NaN}"#.utf8)).x.isNaN)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Value.self, from: try JSONValue(parsing: Data(#"{"x": "1"}"#.utf8))) }
        #expect(throws: (any Error).self) { try JSONFile.decode(Value.self, from: Data(#"{"x": "1"}"#.utf8)) }
    }
}
