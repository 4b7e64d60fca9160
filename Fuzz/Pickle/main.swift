@testable import Formats
import Foundation

/// A `data.pkl` program run by the restricted interpreter with torch's allowlist, as `TorchStateDict` runs it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let program = FuzzInput.data(bytes, count)
    expectOnlyInputErrors { _ = try TorchStateDict.machine.load(program) }
    return 0
}
