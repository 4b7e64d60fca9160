import Foundation
import Testing
import TestSupport

@testable import Formats

/// The byte-level JSON reader against Foundation's `JSONSerialization` (the independent reference) and the RFC's rules.
@Suite struct JSONParserTests {
    /// A JSONValue in the shape JSONSerialization gives, to compare the two readers.
    private func foundationShape(_ value: JSONValue) -> NSObject {
        switch value {
        case .null: NSNull()
        case .bool(let flag): NSNumber(value: flag)
        case .int(let number): NSNumber(value: number)
        case .double(let number): NSNumber(value: number)
        case .string(let text): text as NSString
        case .array(let items): items.map(foundationShape) as NSArray
        case .object(let members): members.mapValues(foundationShape) as NSDictionary
        }
    }

    private func agreesWithFoundation(_ text: String) throws -> Bool {
        let data = Data(text.utf8)
        let ours = foundationShape(try JSONValue(parsing: data))
        let reference = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as! NSObject
        return ours.isEqual(reference)
    }

    @Test func valuesEqualFoundationsReading() throws {
        let documents = [
            #"{"a": [1, -2, 3.5, -0.25e-3, 1E+2, 0], "b": {"c": null, "d": true, "e": false}}"#,
            #"["plain", "esc\"aped\\ \/ \b\f\n\r\t", "\u00e9\u0041", "\ud83d\ude00 emoji", "日本語", ""]"#,
            #"  [ [ ] , { } , [ [ [ 1 ] ] ] ]  "#,
            #"9223372036854775807"#,
            #"123456789012345678901234567890"#,
            #""top-level string""#,
        ]
        for document in documents {
            #expect(try agreesWithFoundation(document), "\(document)")
        }
    }

    @Test func keepsIntegersAndFractionsApart() throws {
        #expect(
            try JSONValue(parsing: Data("[1, 1.0, 1e0, -0, 99999999999999999999]".utf8))
                == .array([.int(1), .double(1), .double(1), .int(0), .double(1e20)]))
    }

    @Test func aLoneSurrogateEscapeBecomesTheReplacementCharacter() throws {
        #expect(
            try JSONValue(parsing: Data(#"["\ud800x", "\udc00", "\ud800\u0041"]"#.utf8))
                == .array([.string("\u{FFFD}x"), .string("\u{FFFD}"), .string("\u{FFFD}A")]))
    }

    @Test func everyTokenizerFixtureReadsAsFoundationReadsIt() throws {
        let directory = Fixtures.root.appendingPathComponent("tokenizer")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        #expect(names.count > 10)
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let reference = try JSONSerialization.jsonObject(with: data) as! NSObject
            #expect(foundationShape(try JSONValue(parsing: data)).isEqual(reference), "\(name)")
        }
    }

    @Test func verbatimMembersKeepCanonicallyEquivalentKeysApart() throws {
        // "é" precomposed and "e" + combining acute are equal Swift Strings, but two tokens of a vocabulary.
        let text = #"{"model": {"vocab": {"\u00e9": 0, "e\u0301": 1, "a": 2}, "other": {"\u00e9": 0, "e\u0301": 1}}}"#
        let (document, verbatim) = try JSONValue.parse(Data(text.utf8), url: URL(fileURLWithPath: "/t.json"), verbatimObjectAt: ["model", "vocab"])
        let members = try #require(verbatim)
        #expect(members.map(\.key) == [[0xC3, 0xA9], [0x65, 0xCC, 0x81], [0x61]])
        #expect(members.map(\.value) == [.int(0), .int(1), .int(2)])
        // Elsewhere the document is an ordinary dictionary, where the two spellings are one key.
        #expect(document.member("model")?.member("other")?.fields?.count == 1)
        #expect(document.member("model")?.member("vocab") == .object([:]))
    }

    @Test func verbatimPathThatIsNotAnObjectGivesNil() throws {
        let url = URL(fileURLWithPath: "/t.json")
        #expect(try JSONValue.parse(Data(#"{"model": {"vocab": [1]}}"#.utf8), url: url, verbatimObjectAt: ["model", "vocab"]).verbatim == nil)
        #expect(try JSONValue.parse(Data(#"{"vocab": {}}"#.utf8), url: url, verbatimObjectAt: ["model", "vocab"]).verbatim == nil)
    }

    @Test func malformedTextIsRefusedWithItsLineAndColumn() {
        let cases: [(String, String)] = [
            ("{\"a\": 1,\n \"b\" 2}", "line 2, column 6: expected ':' after an object key"),
            ("[1, 2", "line 1, column 6: unexpected end of data in a list"),
            ("[1 2]", "line 1, column 4: expected ',' or ']' in a list"),
            ("{\"a\": 1,}", "line 1, column 9: expected a string key"),
            ("[01]", "line 1, column 2: malformed number (leading zero)"),
            ("[1.]", "line 1, column 2: malformed number"),
            ("[-]", "line 1, column 2: malformed number"),
            ("[tru]", "line 1, column 2: unexpected character 't'"),
            ("[\"a\tb\"]", "line 1, column 4: unescaped control character in a string"),
            ("[\"\\x\"]", "line 1, column 3: invalid escape '\\x' in a string"),
            ("[\"\\u12\"]", "line 1, column 3: malformed \\u escape"),
            ("[\"abc", "line 1, column 2: unterminated string"),
            ("[] []", "line 1, column 4: unexpected text after the JSON value"),
            ("", "line 1, column 1: unexpected end of data"),
            ("// comment\n[]", "line 1, column 1: unexpected character '/'"),
        ]
        for (text, expected) in cases {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue(parsing: Data(text.utf8)) }
            do {
                _ = try JSONValue(parsing: Data(text.utf8))
            } catch {
                #expect(error.description == expected, "\(text)")
            }
        }
    }

    @Test func invalidUTF8IsRefused() {
        var bytes = Array(#"{"key": "a"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Data(bytes)) }
        // In a key kept verbatim, too.
        let key = Array(#"{"model": {"vocab": {""#.utf8) + [0xFF] + Array(#"": 0}}}"#.utf8)
        #expect(throws: InputError.self) {
            try JSONValue.parse(Data(key), url: URL(fileURLWithPath: "/t.json"), verbatimObjectAt: ["model", "vocab"])
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Data(deep.utf8)) }
        let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONValue(parsing: Data(allowed.utf8)) }
    }

    @Test func theFileIsNamedInTheInputError() {
        let url = URL(fileURLWithPath: "/models/config.json")
        do {
            _ = try JSONValue(parsing: Data("{\"a\": }".utf8), url: url)
            Issue.record("no error")
        } catch {
            #expect(error.description == "/models/config.json: malformed JSON (line 1, column 7: unexpected character '}')")
        }
    }
}

/// Inputs the fuzzers (scripts/check/fuzz.sh) found, kept as regression tests.
@Suite struct JSONParserFuzzRegressionTests {
    @Test func invalidUTF8InATopLevelStringIsAnError() {
        let inputs: [[UInt8]] = [
            [34, 204, 223, 34, 102, 108, 111, 97, 116, 51, 34, 50, 10],
            [34, 123, 105, 85, 110, 115, 97, 150, 44, 34, 115, 46, 111, 110, 34, 58, 34, 211],
        ]
        for input in inputs {
            #expect(throws: InputError.self) { try JSONValue(parsing: Data(input), url: URL(fileURLWithPath: "/f.json")) }
        }
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Data([34, 204, 223, 34])) }
        do {
            _ = try JSONValue(parsing: Data([0x20, 34, 204, 223, 34]))
        } catch {
            #expect(error.description == "line 1, column 2: a string is not valid UTF-8")
        }
    }
}
