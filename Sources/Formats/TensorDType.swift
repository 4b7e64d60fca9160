/// An element type of a stored tensor, spelled as safetensors spells it.
public enum TensorDType: String, Sendable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

extension TensorDType {
    /// Converts `count` little-endian elements of this type starting at `source` (any alignment) to `Float`.
    /// Bool elements become 0 or 1. Integers wider than 24 bits round to the nearest `Float`.
    package func convertToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = floatFromHalfBits(bits)
            }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                destination[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .f64:
            for i in 0..<count {
                let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                destination[i] = Float(Double(bitPattern: bits))
            }
        case .i64:
            for i in 0..<count {
                destination[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            }
        case .i32:
            for i in 0..<count {
                destination[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        case .i16:
            for i in 0..<count {
                destination[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            }
        case .i8:
            for i in 0..<count { destination[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
        case .u8:
            for i in 0..<count { destination[i] = Float(source.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool:
            for i in 0..<count { destination[i] = source.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        }
    }

    /// Converts the stored elements in `bytes` to a `FloatTensor` of `shape`; the caller has checked the sizes agree.
    func floatTensor(shape: [Int], from bytes: UnsafeRawBufferPointer) -> FloatTensor {
        let count = shape.reduce(1, *)
        precondition(bytes.count == count * byteSize, "\(bytes.count) bytes for \(count) elements of \(rawValue)")
        let values = [Float](count: count) { buffer in
            if let source = bytes.baseAddress {
                MemoryAdvice.prefault(source, byteCount: count * byteSize)
                convertToFloat(source, count: count, into: buffer.baseAddress!)
            }
        }
        return FloatTensor(shape: shape, values: values)
    }
}

/// IEEE 754 binary16 → binary32, exact for every input (subnormals, infinities, NaN payloads).
/// Branch-free so the conversion loops vectorize; F16C/`Float16` would need target flags or a libcall.
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    let magnitude = UInt32(h & 0x7fff) << 13  // exponent and mantissa, aligned to binary32
    let exponent = magnitude & (0x1f << 23)
    var bits = magnitude &+ ((127 - 15) << 23)  // rebias the exponent
    bits = exponent == (0x1f << 23) ? bits &+ ((128 - 16) << 23) : bits  // Inf/NaN: exponent to 255
    // Subnormal or zero: add one to the exponent, then subtract 2^-14 as a float to normalize.
    let subnormal = Float(bitPattern: bits &+ (1 << 23)) - Float(bitPattern: 113 << 23)
    let magnitudeBits = exponent == 0 ? subnormal.bitPattern : bits
    return Float(bitPattern: magnitudeBits | (UInt32(h & 0x8000) << 16))
}
