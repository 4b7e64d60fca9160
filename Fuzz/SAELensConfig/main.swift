import Formats
import Foundation
@testable import SAECore

/// A SAELens `cfg.json` (alone in its directory: no `activation_scaler.json`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSAELensConfig(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "cfg.json")
    expectOnlyInputErrors { _ = try SAEConfig.saeLens(contentsOf: url) }
    return 0
}
