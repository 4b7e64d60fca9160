import Formats
import Foundation

/// A `torch.save` zip: it opens and every tensor reads as Float, or it is an InputError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchStateDict(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "weights.pt")
    expectOnlyInputErrors {
        let stateDict = try TorchStateDict(contentsOf: url)
        for name in stateDict.tensorNames { _ = try stateDict.floatTensor(name) }
    }
    return 0
}
