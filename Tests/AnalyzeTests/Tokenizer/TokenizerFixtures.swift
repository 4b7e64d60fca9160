import Foundation
@testable import Tokenizers
import ZIPFoundation

/// The committed fixtures of `scripts/fixtures/make_tokenizer_fixtures.py`: tokenizer files and HF `tokenizers` outputs.
enum TokenizerFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")

    /// The real Qwen2/Qwen3 tokenizer.json, unzipped once into a temporary directory.
    static let qwenFile: URL = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sae-report-tokenizer-\(ProcessInfo.processInfo.processIdentifier)")
        let file = directory.appendingPathComponent("tokenizer.json")
        if !FileManager.default.fileExists(atPath: file.path) {
            try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try! FileManager.default.unzipItem(at: root.appendingPathComponent("qwen-tokenizer.json.zip"), to: directory)
        }
        return file
    }()

    static let qwen: Tokenizer = try! Tokenizer(contentsOf: qwenFile)

    static func tokenizer(_ name: String) throws -> Tokenizer {
        name == "qwen" ? qwen : try Tokenizer(contentsOf: root.appendingPathComponent("\(name).json"))
    }

    /// HF's outputs for one tokenizer (`<name>_cases.json`).
    struct Cases {
        struct Encoding { var text: String; var ids: [Int32]; var decoded: String }
        var vocabularySize: Int
        var encodings: [Encoding]
        var decodings: [(ids: [Int32], text: String)]
        var pieces: [(id: Int32, text: String)]
        var tokenIDs: [String: Int32]

        init(_ name: String) throws {
            let data = try Data(contentsOf: TokenizerFixtures.root.appendingPathComponent("\(name)_cases.json"))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            func ids(_ value: Any?) -> [Int32] { (value as! [NSNumber]).map(\.int32Value) }
            vocabularySize = json["vocab_size"] as! Int
            encodings = (json["encode"] as! [[String: Any]]).map {
                let text = $0["text"] as! String
                return Encoding(text: text, ids: ids($0["ids"]), decoded: $0["decoded"] as? String ?? text)
            }
            decodings = (json["decode"] as! [[String: Any]]).map { (ids($0["ids"]), $0["text"] as! String) }
            pieces = (json["pieces"] as! [[String: Any]]).map { (($0["id"] as! NSNumber).int32Value, $0["text"] as! String) }
            tokenIDs = (json["token_ids"] as! [String: NSNumber]).mapValues(\.int32Value)
        }
    }
}
