@testable import Formats
import Foundation
@testable import SiteGen
import Testing

@Suite struct FormatTests {
    @Test func fixedAndShortNumbers() {
        #expect(NumberFormat.fixed(3.14159, 2) == "3.14")
        #expect(NumberFormat.fixed(-0.005, 2) == "-0.01")
        #expect(NumberFormat.fixed(2.5, 0) == "3")
        #expect(NumberFormat.fixed(-1.05, 1) == "-1.1" || NumberFormat.fixed(-1.05, 1) == "-1.0")
        #expect(NumberFormat.fixed(.nan, 2) == "NaN")
        #expect(NumberFormat.short(0.9998319655) == "1.000")
        #expect(NumberFormat.short(128) == "128")
        #expect(NumberFormat.short(0.00012) == "1.20e-4")
        #expect(NumberFormat.short(2_226_141) == "2.23e+6")
        #expect(NumberFormat.precise(0.9998319655218821) == "0.999832")
        #expect(NumberFormat.precise(461.7240772189969) == "461.724")
        #expect(NumberFormat.precise(128.0) == "128")
        #expect(NumberFormat.grouped(2_226_141) == "2,226,141")
        #expect(NumberFormat.grouped(-1000) == "-1,000")
        // Agrees with printf over a sweep of values with no exact ties at the third decimal.
        for i in 0..<2000 {
            let x = Double(i) * 0.013_791_7 - 9.3
            #expect(NumberFormat.fixed(x, 3) == String(format: "%.3f", x).replacingOccurrences(of: "-0.000", with: "0.000"))
        }
    }

    @Test func jsonFilesAcceptNaNAndRepairBrokenText() throws {
        struct Row: Decodable { var a: Double; var s: String }
        let nan = try JSONFile.decode(Row.self, from: Data(#"{"a": NaN, "s": "x"}"#.utf8))
        #expect(nan.a.isNaN)
        let lone = try JSONFile.decode(Row.self, from: Data(#"{"a": 1, "s": "ab\ud83dcd"}"#.utf8))
        #expect(lone.s == "ab\u{FFFD}cd")
        let pair = try JSONFile.decode(Row.self, from: Data(#"{"a": 1, "s": "\ud83d\ude00 \\ud800"}"#.utf8))
        #expect(pair.s == "😀 \\ud800")
        var bytes = Array(#"{"a": 1, "s": "x"#.utf8)
        bytes += [0xFF, 0xC3]
        bytes += Array(#"y"}"#.utf8)
        let invalid = try JSONFile.decode(Row.self, from: Data(bytes))
        #expect(invalid.s.hasPrefix("x\u{FFFD}") && invalid.s.hasSuffix("y"))
        // A vocabulary's NUL token, which our writer escapes as \u0000 (Foundation's JSON5 mode refuses it).
        let nul = try JSONFile.decode(Row.self, from: Data(#"{"a": 1, "s": "a\u0000b"}"#.utf8))
        #expect(nul.s == "a\u{0}b")
    }

    @Test func malformedJSONNamesTheFile() throws {
        let dir = Fixtures.scratch()
        let url = dir.appendingPathComponent("bad.json")
        try Data("{\"a\": [1, 2".utf8).write(to: url)
        #expect(throws: InputError.self) { try JSONFile.decode(JSONValue.self, from: url) }
        do {
            _ = try JSONFile.decode(JSONValue.self, from: url)
        } catch let error as InputError {
            #expect(error.path == url.path)
            #expect(error.message.contains("malformed JSON"))
        }
    }

    @Test func jsonLinesReaderStreamsAcrossChunksAndSkipsBlankLines() throws {
        let url = Fixtures.scratch().appendingPathComponent("x.jsonl")
        let long = String(repeating: "z", count: 1_500_000)
        try Data("{\"a\":1}\n\n  \n{\"b\":\"\(long)\"}\r\n{\"c\":3}".utf8).write(to: url)
        let reader = try JSONLinesReader(url: url)
        let lines = try reader.next(10)
        #expect(lines.map(\.line) == [1, 4, 5])
        #expect(lines[1].data.count == long.count + 8)
        #expect(String(decoding: lines[2].data, as: UTF8.self) == "{\"c\":3}")
    }
}
