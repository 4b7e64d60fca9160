import Foundation

/// Reading and writing numpy's `.npy` format (versions 1.0, 2.0 and 3.0).
///
/// A file is the magic `\x93NUMPY`, a major and minor version byte, a header length (2 bytes in v1, 4 in v2/v3),
/// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
/// newline so the data starts on a 64-byte boundary, then the raw array data.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// Headers longer than this are rejected before parsing, as numpy does (`max_header_size`).
    static let maximumHeaderLength = 10_000

    /// The file's bytes, memory-mapped.
    private static func mappedContents(of url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw InputError("cannot read .npy file (\(error.localizedDescription))", url: url)
        }
    }

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> NPYArray {
        let data = try mappedContents(of: url)
        do {
            return try decode(data)
        } catch let error as InputError {
            throw InputError(error.message, url: url)
        }
    }

    /// Writes `array` as a version 1.0 `.npy` file, atomically.
    public static func write(_ array: NPYArray, to url: URL) throws {
        try writeAtomically(encode(array), to: url)
    }

    public static func write(_ values: [Float], shape: [Int], to url: URL) throws { try write(NPYArray(values, shape: shape), to: url) }
    public static func write(_ values: [Double], shape: [Int], to url: URL) throws { try write(NPYArray(values, shape: shape), to: url) }
    public static func write(_ values: [Int32], shape: [Int], to url: URL) throws { try write(NPYArray(values, shape: shape), to: url) }
    public static func write(_ values: [Int64], shape: [Int], to url: URL) throws { try write(NPYArray(values, shape: shape), to: url) }

    /// Reads a `.npy` file of numbers straight into a `FloatTensor`, converting from the mapped file without an
    /// intermediate copy (for large matrices).
    public static func readFloatTensor(_ url: URL) throws -> FloatTensor {
        let data = try mappedContents(of: url)
        do {
            let (header, dataRange) = try parse(data)
            guard let tensorDType = header.dtype.tensorDType else {
                return try NPYArray(dtype: header.dtype, shape: header.shape, data: data.subdata(in: dataRange)).floatTensor()
            }
            return data.withUnsafeBytes { raw in
                tensorDType.floatTensor(shape: header.shape, from: UnsafeRawBufferPointer(rebasing: raw[dataRange]))
            }
        } catch let error as InputError {
            throw InputError(error.message, url: url)
        }
    }

    /// Parses the bytes of a `.npy` file. Errors are `InputError`s without a path; `read` adds it.
    public static func decode(_ bytes: Data) throws -> NPYArray {
        let bytes = Data(bytes)  // rebase so indices start at 0
        let (header, dataRange) = try parse(bytes)
        return NPYArray(dtype: header.dtype, shape: header.shape, data: bytes.subdata(in: dataRange))
    }

    /// The header of a `.npy` file and where its data lies in `bytes` (whose indices start at 0).
    static func parse(_ bytes: Data) throws -> (NPYHeader, Range<Int>) {
        guard bytes.count >= 10, Array(bytes.prefix(6)) == magic else {
            throw InputError("not a .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let lengthFieldSize: Int
        switch major {
        case 1: lengthFieldSize = 2
        case 2, 3: lengthFieldSize = 4
        default: throw InputError(".npy version \(major).\(bytes[7]) is not supported (only 1.0, 2.0 and 3.0)")
        }
        guard bytes.count >= 8 + lengthFieldSize else { throw InputError(".npy file is truncated in its header") }
        let headerLength = bytes.withUnsafeBytes { raw in
            lengthFieldSize == 2
                ? Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
                : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        }
        guard headerLength <= maximumHeaderLength else {
            throw InputError(".npy header length \(headerLength) exceeds the \(maximumHeaderLength)-byte limit")
        }
        let dataStart = 8 + lengthFieldSize + headerLength
        guard bytes.count >= dataStart else { throw InputError(".npy file is truncated in its header") }
        let headerBytes = bytes.subdata(in: (8 + lengthFieldSize)..<dataStart)
        // v1 and v2 headers are latin-1, v3 UTF-8; the fields we accept are ASCII either way.
        guard let headerText = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw InputError(".npy header is not valid text")
        }
        let header = try NPYHeader(parsing: headerText)
        var count = 1
        for dimension in header.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw InputError(".npy shape \(header.shape) has too many elements") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize)
        let available = bytes.count - dataStart
        guard !overflow, byteCount == available else {
            throw InputError(
                ".npy data is \(available) bytes but shape \(header.shape) of \(header.dtype.descr) needs \(overflow ? "more" : String(byteCount))")
        }
        return (header, dataStart..<bytes.count)
    }

    /// The bytes of a `.npy` file holding `array`: version 1.0 when the header fits, else 2.0.
    public static func encode(_ array: NPYArray) -> Data {
        var result = header(descr: array.dtype.descr, shape: array.shape)
        result.append(array.data)
        return result
    }

    /// The header of a C-order `.npy` file (the data follows it), padded to a multiple of 64 bytes as numpy writes
    /// it: version 1.0 when it fits, else 2.0. The one header writer; the streaming writers use it too.
    public static func header(descr: String, shape: [Int]) -> Data {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let v1 = 10 + header.utf8.count + 1 <= 65535 + 10
        let prefixSize = v1 ? 10 : 12
        let padding = (64 - (prefixSize + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"

        var result = Data(magic)
        result.append(contentsOf: v1 ? [1, 0] : [2, 0])
        let length = header.utf8.count
        if v1 {
            result.append(contentsOf: withUnsafeBytes(of: UInt16(length).littleEndian) { Array($0) })
        } else {
            result.append(contentsOf: withUnsafeBytes(of: UInt32(length).littleEndian) { Array($0) })
        }
        result.append(contentsOf: header.utf8)
        return result
    }
}

/// The three fields of a `.npy` header dict.
struct NPYHeader {
    var dtype: NPYDType
    var shape: [Int]

    /// Parses the Python dict literal; requires exactly `descr`, `fortran_order` and `shape`.
    init(parsing text: String) throws {
        var parser = PythonLiteralParser(text)
        guard case .dict(let fields) = try parser.parseValue() else {
            throw InputError(".npy header is not a dict: \(text.prefix(80))")
        }
        parser.skipWhitespace()
        guard parser.atEnd else { throw InputError(".npy header has text after the dict") }
        guard Set(fields.keys) == ["descr", "fortran_order", "shape"] else {
            throw InputError(".npy header must have exactly the keys descr, fortran_order and shape; it has \(fields.keys.sorted())")
        }
        guard case .string(let descr)? = fields["descr"] else {
            throw InputError(".npy header: descr is not a type string (structured arrays are not supported)")
        }
        if descr.hasPrefix(">") {
            throw InputError(".npy array is big-endian (\(descr)); only little-endian arrays are supported")
        }
        guard let dtype = NPYDType(descr: descr) else {
            throw InputError(".npy dtype '\(descr)' is not supported")
        }
        guard case .bool(let fortranOrder)? = fields["fortran_order"] else {
            throw InputError(".npy header: fortran_order is not True or False")
        }
        if fortranOrder {
            throw InputError(".npy array is in Fortran order; only C-order arrays are supported (save with np.ascontiguousarray)")
        }
        guard case .tuple(let items)? = fields["shape"] else { throw InputError(".npy header: shape is not a tuple") }
        var shape: [Int] = []
        for item in items {
            guard case .int(let dimension) = item, dimension >= 0 else {
                throw InputError(".npy header: shape has an entry that is not a non-negative integer")
            }
            shape.append(dimension)
        }
        self.dtype = dtype
        self.shape = shape
    }
}

/// Just enough of Python's literal syntax for `.npy` headers: dicts, tuples, lists, strings, ints, True/False/None.
struct PythonLiteralParser {
    enum Value: Equatable {
        case dict([String: Value])
        case tuple([Value])
        case list([Value])
        case string(String)
        case int(Int)
        case bool(Bool)
        case none
    }

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    var atEnd: Bool { position == scalars.count }

    mutating func skipWhitespace() {
        while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
    }

    private func failure(_ problem: String) -> InputError {
        InputError(".npy header is malformed: \(problem) at character \(position)")
    }

    mutating func parseValue() throws -> Value {
        skipWhitespace()
        guard position < scalars.count else { throw failure("unexpected end") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw failure("nesting too deep") }
        switch scalars[position] {
        case "{":
            position += 1
            var result: [String: Value] = [:]
            for element in try parseSequence(closing: "}", isDict: true) {
                guard case .tuple(let pair) = element, case .string(let key) = pair[0] else { throw failure("dict key is not a string") }
                guard result[key] == nil else { throw failure("duplicate key '\(key)'") }
                result[key] = pair[1]
            }
            return .dict(result)
        case "(":
            position += 1
            return .tuple(try parseSequence(closing: ")", isDict: false))
        case "[":
            position += 1
            return .list(try parseSequence(closing: "]", isDict: false))
        case "'", "\"":
            return .string(try parseString())
        default:
            return try parseAtom()
        }
    }

    /// Comma-separated items up to `closing`, trailing comma allowed; dict items come back as 2-tuples.
    private mutating func parseSequence(closing: Unicode.Scalar, isDict: Bool) throws -> [Value] {
        var items: [Value] = []
        while true {
            skipWhitespace()
            guard position < scalars.count else { throw failure("unclosed bracket") }
            if scalars[position] == closing { position += 1; return items }
            var item = try parseValue()
            if isDict {
                skipWhitespace()
                guard position < scalars.count, scalars[position] == ":" else { throw failure("expected ':'") }
                position += 1
                item = .tuple([item, try parseValue()])
            }
            items.append(item)
            skipWhitespace()
            guard position < scalars.count else { throw failure("unclosed bracket") }
            if scalars[position] == "," { position += 1 } else if scalars[position] != closing { throw failure("expected ',' or '\(closing)'") }
        }
    }

    private mutating func parseString() throws -> String {
        let quote = scalars[position]
        position += 1
        var result = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            if scalar == quote { return String(result) }
            if scalar == "\\" { throw failure("escape sequences are not supported") }
            result.append(scalar)
        }
        throw failure("unterminated string")
    }

    private mutating func parseAtom() throws -> Value {
        let start = position
        while position < scalars.count,
            scalars[position].properties.isAlphabetic || ("0"..."9").contains(scalars[position])
                || scalars[position] == "-" || scalars[position] == "_"
        {
            position += 1
        }
        let word = String(String.UnicodeScalarView(scalars[start..<position]))
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            // Python 2 era numpy wrote shapes like (3L, 4L).
            let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
            guard let value = Int(digits) else { throw failure(word.isEmpty ? "unexpected character" : "unexpected '\(word.prefix(20))'") }
            return .int(value)
        }
    }
}
