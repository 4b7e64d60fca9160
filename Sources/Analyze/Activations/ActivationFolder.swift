import Formats
import Foundation
import Tokenizers

/// A checked activation folder (docs/activations.md): the manifest, the mapped shards, the token table and the
/// texts it lays out. Every problem is found here, before a run writes anything: a missing or malformed file, a
/// shard whose width is not the SAE's `d_in`, a token table whose length differs from the shards' rows, rows of a
/// text that are not contiguous with consecutive positions, a token id the tokenizer lacks, a NaN or infinity.
final class ActivationFolder: @unchecked Sendable {
    /// One text's rows: contiguous, with positions `firstPosition, firstPosition + 1, …`.
    struct TextRun: Equatable {
        var textIndex: Int
        var firstRow: Int
        var firstPosition: Int
        var count: Int
    }

    let url: URL
    let manifest: ActivationManifest
    let shards: ActivationShards
    let table: TokenTable
    let texts: [TextRun]

    /// Opens `url` for an SAE with `dIn` inputs; `vocabularySize` bounds the token ids (the tokenizer's).
    init(url: URL, dIn: Int, vocabularySize: Int) throws {
        self.url = url
        manifest = try ActivationManifest(folder: url)
        let manifestURL = url.appendingPathComponent(ActivationManifest.fileName)
        guard manifest.dIn == dIn else {
            throw InputError("d_in is \(manifest.dIn) but the SAE's d_in is \(dIn)", url: manifestURL)
        }
        shards = try ActivationShards(folder: url, manifest: manifest, width: dIn)
        let tableURL = url.appendingPathComponent(manifest.tokens)
        table = try TokenTable(contentsOf: tableURL)
        guard table.count == shards.rowCount else {
            throw InputError(
                "the token table has \(table.count) rows but the shards hold \(shards.rowCount) activation rows", url: tableURL)
        }
        guard table.count > 0 else { throw InputError("the shards hold no activation row", url: manifestURL) }
        if let row = table.tokenIDs.firstIndex(where: { Int($0) >= vocabularySize }) {
            throw InputError(
                "token table row \(row): token_id \(table.tokenIDs[row]) is outside the tokenizer's \(vocabularySize) ids", url: tableURL)
        }
        texts = try Self.textRuns(table, url: tableURL)
        if let count = manifest.textCount, let last = texts.map(\.textIndex).max(), last >= count {
            throw InputError("text_idx \(last) in the token table, but the manifest's n_texts is \(count)", url: manifestURL)
        }
        try shards.checkFinite()
    }

    /// The texts of the table, in row order.
    private static func textRuns(_ table: TokenTable, url: URL) throws -> [TextRun] {
        var runs: [TextRun] = []
        var seen = Set<Int>()
        for row in 0..<table.count {
            let text = Int(table.textIndices[row]), position = Int(table.positions[row])
            if var last = runs.last, last.textIndex == text {
                guard position == last.firstPosition + last.count else {
                    throw InputError(
                        "token table row \(row): text \(text) jumps from position \(last.firstPosition + last.count - 1) to "
                            + "\(position); a text's rows must have consecutive positions", url: url)
                }
                last.count += 1
                runs[runs.count - 1] = last
                continue
            }
            guard seen.insert(text).inserted else {
                throw InputError("token table row \(row): text \(text) appears again after other texts; a text's rows must be contiguous", url: url)
            }
            runs.append(TextRun(textIndex: text, firstRow: row, firstPosition: position, count: 1))
        }
        return runs
    }

    /// The corpus's text count: the manifest's, else one past the largest text index.
    var textCount: Int { manifest.textCount ?? ((texts.map(\.textIndex).max() ?? -1) + 1) }

    /// The files the folder consists of, for the run's hashes.
    var files: [URL] {
        [url.appendingPathComponent(ActivationManifest.fileName), url.appendingPathComponent(manifest.tokens)]
            + shards.urls + (manifest.tokenizer.map { [url.appendingPathComponent($0)] } ?? [])
    }
}
