import Formats
import Foundation

/// The texts to analyze: a JSON list of strings, as the seed's datasets are.
public struct Corpus: Sendable {
    public struct Skipped: Codable, Equatable, Sendable {
        public var textIdx: Int
        public var reason: String
        enum CodingKeys: String, CodingKey {
            case textIdx = "text_idx"
            case reason
        }
    }

    /// All texts, in file order (indices are `text_idx` everywhere).
    public var texts: [String]
    /// Texts left out of the analysis and why (empty or whitespace only, as the seed drops them).
    public var skipped: [Skipped]
    public var url: URL?

    public init(texts: [String], url: URL? = nil) {
        self.texts = texts
        self.url = url
        skipped = texts.indices.compactMap { index in
            texts[index].allSatisfy(\.isWhitespace)
                ? Skipped(textIdx: index, reason: texts[index].isEmpty ? "empty" : "whitespace only") : nil
        }
    }

    /// Reads a JSON list of strings. Invalid UTF-8, malformed JSON, a non-list, a non-string item, or a corpus with
    /// no usable text are errors naming the file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw InputError(FileManager.default.fileExists(atPath: url.path) ? "cannot read file" : "no such file", url: url)
        }
        if String(data: data, encoding: .utf8) == nil {
            throw InputError("not valid UTF-8", url: url)
        }
        guard case .array(let list) = try JSONValue(parsing: data, url: url) else {
            throw InputError("expected a JSON list of strings at the top level", url: url)
        }
        var texts: [String] = []
        texts.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            guard case .string(let text) = item else {
                throw InputError("item \(index) is not a string (the corpus must be a JSON list of strings)", url: url)
            }
            texts.append(text)
        }
        self.init(texts: texts, url: url)
        if texts.isEmpty { throw InputError("the corpus is empty", url: url) }
        if skipped.count == texts.count { throw InputError("every text in the corpus is empty or whitespace", url: url) }
    }

    /// Indices of the texts that are analyzed.
    public var usedIndices: [Int] {
        let skippedSet = Set(skipped.map(\.textIdx))
        return texts.indices.filter { !skippedSet.contains($0) }
    }
}
