import Formats
import Foundation

/// A `.safetensors` file: it opens and every tensor reads as Float, or it is an InputError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "model.safetensors")
    expectOnlyInputErrors {
        let file = try SafetensorsFile(contentsOf: url)
        for name in file.tensorNames { _ = try file.floatTensor(name) }
    }
    return 0
}
