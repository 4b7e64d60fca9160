import Formats
import Foundation
import Tokenizers

/// Text that touches the pre-tokenizers' classes: letters, digits, punctuation, runs of whitespace, non-ASCII, an
/// emoji and a common added token.
let sample = "Hello, world! It's 2024-01-01\t  spaces\n\nünïcödé 日本語 🤗 <|endoftext|> don't"

/// A `tokenizer.json`: it loads, then encodes the sample and decodes the ids, or it is an InputError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "tokenizer.json")
    expectOnlyInputErrors {
        let tokenizer = try Tokenizer(contentsOf: url)
        let ids = tokenizer.encode(sample)
        _ = tokenizer.decode(ids)
        _ = tokenizer.displayPieces(ids)
    }
    return 0
}
