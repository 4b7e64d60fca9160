import Foundation
@testable import Tokenizers
import ZIPFoundation

/// The committed fixtures of `scripts/fixtures/make_tokenizer_fixtures.py` and
/// `scripts/fixtures/make_tokenizer_families.py`: tokenizer files and HF `tokenizers` outputs.
enum TokenizerFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")

    /// The real Qwen2/Qwen3 tokenizer.json, unzipped once into a temporary directory.
    static let qwenFile = unzipped("qwen-tokenizer.json.zip")

    static let qwen: Tokenizer = try! Tokenizer(contentsOf: qwenFile)

    /// A zipped tokenizer.json, unzipped once into a temporary directory (tests run in parallel: one at a time).
    static func unzipped(_ name: String) -> URL {
        unzipLock.lock()
        defer { unzipLock.unlock() }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sae-report-tokenizer-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        let file = directory.appendingPathComponent("tokenizer.json")
        if !FileManager.default.fileExists(atPath: file.path) {
            try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try! FileManager.default.unzipItem(at: root.appendingPathComponent(name), to: directory)
        }
        return file
    }

    private static let unzipLock = NSLock()

    /// A fixture tokenizer: `<name>.json`, or a family variant, whose cases name a base file and the top-level
    /// parts (and `model_options`) that replace the base's.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        if name == "qwen" { return qwen }
        let own = root.appendingPathComponent("\(name).json")
        if FileManager.default.fileExists(atPath: own.path) { return try Tokenizer(contentsOf: own) }
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("\(name)_cases.json"))) as! [String: Any]
        let base = cases["base"] as! String
        let baseFile = base.hasSuffix(".zip") ? unzipped(base) : root.appendingPathComponent(base)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: baseFile)) as! [String: Any]
        for (key, value) in cases["overrides"] as! [String: Any] {
            if key == "model_options" {
                var model = json["model"] as! [String: Any]
                model.merge(value as! [String: Any]) { $1 }
                json["model"] = model
            } else {
                json[key] = value
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sae-report-tokenizer-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try Tokenizer(contentsOf: file)
    }

    /// HF's outputs for one tokenizer (`<name>_cases.json`).
    struct Cases {
        struct Encoding { var text: String; var ids: [Int32]; var decoded: String }
        var vocabularySize: Int
        var encodings: [Encoding]
        var decodings: [(ids: [Int32], text: String)]
        var pieces: [(id: Int32, text: String)]
        var tokenIDs: [String: Int32]
        /// `add_special_tokens=False` ids, and pairs with their ids (only in the family cases).
        var plainEncodings: [(text: String, ids: [Int32])] = []
        var pairEncodings: [(first: String, second: String, ids: [Int32])] = []
        /// The corpus the family cases hashed (`<name>_corpus.bin`): its text count and total ids.
        var corpusTexts: Int?
        var corpusTotalIDs: Int?

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
            plainEncodings = (json["encode_plain"] as? [[String: Any]] ?? []).map { ($0["text"] as! String, ids($0["ids"])) }
            pairEncodings = (json["encode_pair"] as? [[String: Any]] ?? []).map { ($0["a"] as! String, $0["b"] as! String, ids($0["ids"])) }
            let corpus = json["corpus"] as? [String: Any]
            corpusTexts = corpus?["texts"] as? Int
            corpusTotalIDs = corpus?["total_ids"] as? Int
        }
    }
}
