@testable import Formats
import Foundation
@testable import SiteGen
import Testing

/// `FeatureRecord.read(jsonLine:)` (the byte reader) against the general path it replaces (Formats' parser and
/// `JSONValueDecoder`): the same record for every line of the committed fixtures and for the edge cases a record's
/// JSON can hold, and a fallback to `JSONFile.decode` for every line it declines.
@Suite struct FeatureRecordReadingTests {
    /// Every stored property, doubles printed in full (shortest round-trip form).
    static func shown(_ record: FeatureRecord) -> String { String(describing: record) }

    static func general(_ line: String) throws -> FeatureRecord {
        try JSONValueDecoder.decode(FeatureRecord.self, from: try JSONValue(parsing: Data(line.utf8)))
    }

    @Test func everyFixtureRecordReadsAsTheGeneralPathDecodesIt() throws {
        var checked = 0
        for url in JSONValueDecoderTests.fixtures {
            for line in Fixtures.text(url).split(separator: "\n") where !line.isEmpty {
                let read = try #require(FeatureRecord.read(jsonLine: Data(line.utf8)), "\(url.lastPathComponent): \(line.prefix(40))")
                #expect(Self.shown(read) == Self.shown(try Self.general(String(line))))
                checked += 1
            }
        }
        #expect(checked > 20)
    }

    /// Keys of every kind the record has, in another order, with nulls, escapes, unknown members, repeated keys and
    /// loose whitespace.
    @Test func edgeCasesReadAsTheGeneralPathDecodesThem() throws {
        let lines = [
            #"{"feature": 7}"#,
            #" { "top_examples" : null , "feature":7 , "cluster": null, "moments": {"density": 0.5, "mean": null, "x": [1, {"y": [true, false, null]}]} } "#,
            #"{"feature": 1, "feature": 2, "activation_count": 3, "frequency": -0.0, "max_activation": 1e-7, "mean_activation": 12345678901234567890}"#,
            #"{"feature": 3, "top_examples": [{"token": "a\"b\\c\/d\n\t\r\b\f", "activation": 2, "context": null, "position": 4, "text_idx": 9,"#
                + #" "context_tokens": ["\u00e9", "e\u0301", "\ud83d\ude00", "\ud83d", "\ude00x", "\ud83d\u0041", "\u0000", "ü"],"#
                + #" "context_activations": [0, 1.5, -2.25E+2, 0.0], "target_index": 1, "global_idx": 77,"#
                + #" "loss_effects": {"delta_loss": [null, 0.25, -1], "kl": [null, 0.5, 2], "direct_delta_loss": null, "direct_kl": [null, null, 0.1]}}]}"#,
            #"{"feature": 4, "histogram": {"edges": [0, 1, 2], "counts": [3, 4]}, "logit_histogram": {"counts": [1], "edges": [-1, 1], "log": true},"#
                + #" "quantile_examples": [{"range": [0, 1], "count": null, "examples": []}, {"range": [1, 2], "count": 5, "examples": [{"token": "x", "activation": 1.5}]}],"#
                + #" "logit_effects": {"promoted": [{"token": " up", "token_id": 12, "value": 0.5}], "suppressed": [{"token": "<s>", "token_id": null, "value": -0.5}]},"#
                + #" "neighbors": {"decoder": [{"feature": 1, "value": 0.9}], "cooccurrence": null, "correlation": [{"value": -0.1, "feature": 2}]},"#
                + #" "neuron_alignment": [{"dimension": 3, "value": -0.2, "l1_share": 0.04}], "labels": {"a": "b"}}"#,
            // Empty objects, read and skipped.
            #"{"feature": 5, "moments": {}, "neighbors": { }, "extra": {"a": {}, "b": [], "c": {"d": { }}}}"#,
        ]
        for line in lines {
            let read = try #require(FeatureRecord.read(jsonLine: Data(line.utf8)), "\(line.prefix(60))")
            #expect(Self.shown(read) == Self.shown(try Self.general(line)), "\(line.prefix(60))")
        }
    }

    /// What the byte reader declines goes through `JSONFile.decode`, which reads it (Foundation's leniency) or words
    /// the error.
    @Test func declinedLinesFallBackToTheGeneralPath() throws {
        let declined = [
            #"{"feature": 3.0}"#,  // an integer written as a fraction: Foundation reads it
            #"{"feature": 3, "mean_activation": NaN}"#,  // Python's NaN: Foundation's JSON5 mode
            "\u{FEFF}{\"feature\": 3}",  // a byte order mark
            #"{"\u0066eature": 3}"#,  // an escaped key
            #"{"feature": 3, "top_examples": [{"token": "\ud83d", "activation": 1},]}"#,  // a trailing comma
            #"{"feature": 3} x"#,
            #"{"feature": 3,}"#,  // a trailing comma in an object, read or skipped
            #"{"feature": 3, "extra": {"a": 1,}}"#,
        ]
        for line in declined {
            #expect(FeatureRecord.read(jsonLine: Data(line.utf8)) == nil, "\(line)")
        }
        #expect(try FeatureRecord.decode(jsonLine: Data(declined[0].utf8)).feature == 3)
        #expect(try FeatureRecord.decode(jsonLine: Data(declined[1].utf8)).meanActivation?.isNaN == true)
        #expect(try FeatureRecord.decode(jsonLine: Data(declined[3].utf8)).feature == 3)
        #expect(throws: (any Error).self) { try FeatureRecord.decode(jsonLine: Data(declined[5].utf8)) }
        // Invalid UTF-8 is declined too (the general path's repair turns it into U+FFFD).
        var bytes = Array(#"{"feature": 3, "top_examples": [{"token": "#.utf8) + [0x22, 0xFF, 0x22]
        bytes += Array(#", "activation": 1}]}"#.utf8)
        #expect(FeatureRecord.read(jsonLine: Data(bytes)) == nil)
        #expect(try FeatureRecord.decode(jsonLine: Data(bytes)).topExamples.first?.token == "\u{FFFD}")
        // A required member missing or of the wrong type.
        for line in [#"{"cluster": 1}"#, #"{"feature": "3"}"#, #"{"feature": 3, "top_examples": [{"token": "a"}]}"#] {
            #expect(FeatureRecord.read(jsonLine: Data(line.utf8)) == nil, "\(line)")
            #expect(throws: (any Error).self) { try FeatureRecord.decode(jsonLine: Data(line.utf8)) }
        }
    }
}
