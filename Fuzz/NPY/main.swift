import Formats
import Foundation

/// A `.npy` file, through both readers: decoded from bytes (then its values read), and mapped into a FloatTensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    expectOnlyInputErrors {
        let array = try NPY.decode(data)
        if array.dtype.isString { _ = try array.stringValue() } else { _ = try array.floatValues() }
    }
    let url = FuzzInput.file(bytes, count, name: "array.npy")
    expectOnlyInputErrors { _ = try NPY.readFloatTensor(url) }
    return 0
}
