import Formats
import Foundation

/// A `.npz` archive: every member decodes (and its numbers read), or it is an InputError; likewise read as a
/// scipy CSR matrix, the other reader of `.npz` files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let url = FuzzInput.file(bytes, count, name: "arrays.npz")
    expectOnlyInputErrors {
        for array in try NPZ.read(url).values where !array.dtype.isString { _ = try array.floatValues() }
    }
    expectOnlyInputErrors { _ = try SparseCSR.read(from: url) }
    return 0
}
