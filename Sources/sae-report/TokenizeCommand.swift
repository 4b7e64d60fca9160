import ArgumentParser
import Formats
import Foundation
import Tokenizers

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Tokenize texts with a model's tokenizer.json; prints one JSON id list per text.",
        discussion: """
            The ids are those of Hugging Face tokenizers' encode(text).ids (byte-level BPE tokenizers: Qwen2/3, GPT-2, \
            Llama-3 style), one line per input text, in input order.
            """)
    @Option(help: "Model directory holding tokenizer.json.") var model: String
    @Option(help: "Corpus: a JSON list of strings (default: read that list from standard input).")
    var data: String?

    func run() throws {
        try reportingInputErrors {
            let tokenizer = try Tokenizer(modelDirectory: URL(fileURLWithPath: model))
            let texts = try readTexts()
            var output = ""
            for text in texts {
                output += "[" + tokenizer.encode(text).map(String.init).joined(separator: ",") + "]\n"
                if output.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(output.utf8))
                    output = ""
                }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        }
    }

    private func readTexts() throws -> [String] {
        let name = data ?? "<stdin>"
        let bytes: Data
        if let data {
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: data))
            } catch {
                throw InputError("cannot read (\(error.localizedDescription))", path: name)
            }
        } else {
            bytes = FileHandle.standardInput.readDataToEndOfFile()
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw InputError("malformed JSON (\(error))", path: name)
        }
        guard let texts = json.items?.compactMap(\.text), texts.count == json.items?.count else {
            throw InputError("not a JSON list of strings", path: name)
        }
        return texts
    }
}
