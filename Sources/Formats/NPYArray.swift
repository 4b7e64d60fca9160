import Foundation

/// An element type of a `.npy` array, as numpy's `descr` names it (little-endian only).
public enum NPYDType: Equatable, Hashable, Sendable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool
    /// A fixed-width unicode string of this many characters (`<U3`), stored as UTF-32LE.
    case unicode(Int)
    /// A fixed-width byte string of this many bytes (`|S3`), NUL-padded.
    case bytes(Int)

    /// Parses a numpy type string such as `<f4` or `|b1`; nil for big-endian, structured or unknown types.
    public init?(descr: String) {
        guard let order = descr.first, "<|=".contains(order) else { return nil }
        let code = descr.dropFirst()
        switch code {
        case "f2": self = .float16
        case "f4": self = .float32
        case "f8": self = .float64
        case "i1": self = .int8
        case "i2": self = .int16
        case "i4": self = .int32
        case "i8": self = .int64
        case "u1": self = .uint8
        case "u2": self = .uint16
        case "u4": self = .uint32
        case "u8": self = .uint64
        case "b1": self = .bool
        default:
            guard let kind = code.first, let length = Int(code.dropFirst()), length >= 0, length <= 1 << 20 else { return nil }
            switch kind {
            case "U": self = .unicode(length)
            case "S": self = .bytes(length)
            default: return nil
            }
        }
        // Multi-byte numbers must say little-endian; `|` (byte order not applicable) is only right for single bytes.
        if order == "|" && itemSize > 1 && !isString { return nil }
    }

    /// The type string numpy writes for this type on a little-endian machine.
    public var descr: String {
        switch self {
        case .float16: "<f2"
        case .float32: "<f4"
        case .float64: "<f8"
        case .int8: "|i1"
        case .int16: "<i2"
        case .int32: "<i4"
        case .int64: "<i8"
        case .uint8: "|u1"
        case .uint16: "<u2"
        case .uint32: "<u4"
        case .uint64: "<u8"
        case .bool: "|b1"
        case .unicode(let length): "<U\(length)"
        case .bytes(let length): "|S\(length)"
        }
    }

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        case .unicode(let length): 4 * length
        case .bytes(let length): length
        }
    }

    /// The same element type in safetensors' vocabulary, for the fast conversions; nil for uint16/32/64 and strings.
    var tensorDType: TensorDType? {
        switch self {
        case .float16: .f16
        case .float32: .f32
        case .float64: .f64
        case .int8: .i8
        case .int16: .i16
        case .int32: .i32
        case .int64: .i64
        case .uint8: .u8
        case .bool: .bool
        case .uint16, .uint32, .uint64, .unicode, .bytes: nil
        }
    }

    var isInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: true
        default: false
        }
    }

    /// Whether this is a unicode or byte string type rather than a number.
    public var isString: Bool {
        switch self {
        case .unicode, .bytes: true
        default: false
        }
    }
}

/// A C-ordered n-dimensional array as stored in a `.npy` file: element type, shape and raw little-endian bytes.
public struct NPYArray: Equatable, Sendable {
    public var dtype: NPYDType
    /// The size of each dimension; empty for a 0-d (scalar) array.
    public var shape: [Int]
    /// `count * dtype.itemSize` bytes, little-endian, row-major.
    public var data: Data

    /// Wraps raw bytes; `data.count` must equal the element count times the item size.
    public init(dtype: NPYDType, shape: [Int], data: Data) {
        precondition(
            shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) * dtype.itemSize == data.count,
            "\(data.count) bytes do not hold shape \(shape) of \(dtype.descr)")
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// The number of elements, the product of `shape` (1 for a 0-d array).
    public var count: Int { shape.reduce(1, *) }
}

// MARK: - Building arrays from Swift values

extension NPYArray {
    public init(_ values: [Float], shape: [Int]) { self.init(dtype: .float32, shape: shape, data: Self.bytes(of: values)) }
    public init(_ values: [Double], shape: [Int]) { self.init(dtype: .float64, shape: shape, data: Self.bytes(of: values)) }
    public init(_ values: [Int32], shape: [Int]) { self.init(dtype: .int32, shape: shape, data: Self.bytes(of: values)) }
    public init(_ values: [Int64], shape: [Int]) { self.init(dtype: .int64, shape: shape, data: Self.bytes(of: values)) }
    public init(_ values: [UInt8], shape: [Int]) { self.init(dtype: .uint8, shape: shape, data: Self.bytes(of: values)) }
    public init(_ values: [Bool], shape: [Int]) { self.init(dtype: .bool, shape: shape, data: Data(values.map { $0 ? 1 : 0 })) }
    public init(_ tensor: FloatTensor) { self.init(tensor.values, shape: tensor.shape) }

    /// A 0-d unicode string array, as numpy makes from `np.array("csr")`.
    public init(string: String) {
        let scalars = Array(string.unicodeScalars)
        self.init(dtype: .unicode(scalars.count), shape: [], data: Self.bytes(of: scalars.map(\.value)))
    }

    /// The native bytes of `values`; every platform Swift targets here is little-endian, like the format.
    private static func bytes<T: FixedWidthInteger>(of values: [T]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }
    private static func bytes(of values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
    private static func bytes(of values: [Double]) -> Data { values.withUnsafeBytes { Data($0) } }
}

// MARK: - Reading values

extension NPYArray {
    /// The elements converted to `Float` (bool → 0/1, wide integers and doubles round). Unicode arrays throw.
    public func floatValues() throws -> [Float] {
        try floatTensor().values
    }

    /// The elements converted to `Double`. Unicode arrays throw.
    public func doubleValues() throws -> [Double] {
        try converted(
            Double.self, float16: { Double(floatFromHalfBits($0)) }, float: { Double($0) }, double: { $0 },
            signed: { Double($0) }, unsigned: { Double($0) })
    }

    /// The elements of an integer or bool array as `Int64`; float arrays and uint64 values above `Int64.max` throw.
    public func int64Values() throws -> [Int64] {
        guard dtype.isInteger || dtype == .bool else {
            throw InputError("array has dtype \(dtype.descr), expected integers")
        }
        var outOfRange = false
        let values = try converted(
            Int64.self, float16: { _ in 0 }, float: { _ in 0 }, double: { _ in 0 },
            signed: { $0 },
            unsigned: { value in
                if value > UInt64(Int64.max) { outOfRange = true }
                return Int64(truncatingIfNeeded: value)
            })
        if outOfRange { throw InputError("array of \(dtype.descr) has a value above \(Int64.max)") }
        return values
    }

    /// The elements of an integer array as `Int32`; values outside the Int32 range throw.
    public func int32Values() throws -> [Int32] {
        try int64Values().map { value in
            guard let narrow = Int32(exactly: value) else {
                throw InputError("array value \(value) does not fit in a 32-bit integer")
            }
            return narrow
        }
    }

    /// The array as a `FloatTensor` of the same shape.
    public func floatTensor() throws -> FloatTensor {
        if let tensorDType = dtype.tensorDType {
            return data.withUnsafeBytes { tensorDType.floatTensor(shape: shape, from: $0) }
        }
        let values = try converted(
            Float.self, float16: { floatFromHalfBits($0) }, float: { $0 }, double: { Float($0) },
            signed: { Float($0) }, unsigned: { Float($0) })
        return FloatTensor(shape: shape, values: values)
    }

    /// A 0-d byte string array, as numpy makes from `np.array(b"csr")`.
    public init(byteString: String) {
        self.init(dtype: .bytes(byteString.utf8.count), shape: [], data: Data(byteString.utf8))
    }

    /// The string held by a 0-d or one-element unicode or byte string array (bytes as UTF-8),
    /// trailing NULs removed as numpy does.
    public func stringValue() throws -> String {
        guard dtype.isString, count == 1 else {
            throw InputError("array has dtype \(dtype.descr) and shape \(shape), expected one string")
        }
        if case .bytes = dtype {
            guard let string = String(data: data.prefix(while: { $0 != 0 }), encoding: .utf8) else {
                throw InputError("byte string array is not valid UTF-8")
            }
            return string
        }
        let length = data.count / 4
        var scalars = String.UnicodeScalarView()
        for index in 0..<length {
            let value = data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)) }
            if value == 0 { break }
            guard let scalar = Unicode.Scalar(value) else { throw InputError("unicode array holds invalid code point \(value)") }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    private func converted<T>(
        _: T.Type, float16: (UInt16) -> T, float: (Float) -> T, double: (Double) -> T,
        signed: (Int64) -> T, unsigned: (UInt64) -> T
    ) throws -> [T] {
        let count = self.count
        return try data.withUnsafeBytes { raw -> [T] in
            func map<S>(_ type: S.Type, _ transform: (S) -> T) -> [T] {
                [T](count: count) { buffer in
                    for index in 0..<count {
                        (buffer.baseAddress! + index).initialize(to: transform(raw.loadUnaligned(fromByteOffset: index * MemoryLayout<S>.size, as: S.self)))
                    }
                }
            }
            switch dtype {
            case .float16: return map(UInt16.self) { float16(UInt16(littleEndian: $0)) }
            case .float32: return map(UInt32.self) { float(Float(bitPattern: UInt32(littleEndian: $0))) }
            case .float64: return map(UInt64.self) { double(Double(bitPattern: UInt64(littleEndian: $0))) }
            case .int8: return map(Int8.self) { signed(Int64($0)) }
            case .int16: return map(Int16.self) { signed(Int64(Int16(littleEndian: $0))) }
            case .int32: return map(Int32.self) { signed(Int64(Int32(littleEndian: $0))) }
            case .int64: return map(Int64.self) { signed(Int64(littleEndian: $0)) }
            case .uint8: return map(UInt8.self) { unsigned(UInt64($0)) }
            case .uint16: return map(UInt16.self) { unsigned(UInt64(UInt16(littleEndian: $0))) }
            case .uint32: return map(UInt32.self) { unsigned(UInt64(UInt32(littleEndian: $0))) }
            case .uint64: return map(UInt64.self) { unsigned(UInt64(littleEndian: $0)) }
            case .bool: return map(UInt8.self) { unsigned($0 == 0 ? 0 : 1) }
            case .unicode, .bytes: throw InputError("array has dtype \(dtype.descr), expected numbers")
            }
        }
    }
}
