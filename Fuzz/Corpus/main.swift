import Formats
import Foundation

/// A corpus file (a JSON list of strings). Built with `Sources/Analyze/Pipeline/Corpus.swift` compiled in, so the
/// harness needs only Formats, not the whole Analyze module.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpus(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "corpus.json")
    expectOnlyInputErrors { _ = try Corpus(contentsOf: url).usedIndices }
    return 0
}
