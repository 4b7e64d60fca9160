import Formats
import Foundation
@testable import SAECore

/// The seed's SAE `config.json`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSeedConfig(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "config.json")
    expectOnlyInputErrors { _ = try SAEConfig.seed(contentsOf: url) }
    return 0
}
