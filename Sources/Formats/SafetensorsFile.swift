import Foundation

/// A `.safetensors` file, memory-mapped, with its header validated up front.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (plus an optional `__metadata__` string map), then the data
/// section. Validation follows the reference implementation: offsets are relative to the data section, tensors tile
/// it exactly (no gaps, no overlaps, nothing left over), and each tensor's byte count equals its element count times
/// its dtype size.
public final class SafetensorsFile: @unchecked Sendable {
    /// Header lengths above this are rejected before anything is read, as the reference implementation does.
    public static let maximumHeaderLength = 100_000_000

    struct Entry {
        var dtype: TensorDType
        var shape: [Int]
        var byteRange: Range<Int>  // within the data section
    }

    /// The file this was read from.
    public let url: URL
    /// The `__metadata__` map, empty when the header has none.
    public let metadata: [String: String]
    /// The names of all tensors, sorted.
    public let tensorNames: [String]

    // Immutable after init, hence @unchecked Sendable.
    private let bytes: Data
    private let dataStart: Int
    private let entries: [String: Entry]

    /// Maps the file and validates its header; any inconsistency is an `InputError` naming the file.
    public init(contentsOf url: URL) throws {
        self.url = url
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw InputError("cannot read safetensors file (\(error.localizedDescription))", url: url)
        }
        guard bytes.count >= 8 else {
            throw InputError("not a safetensors file: \(bytes.count) bytes, too short for the 8-byte header length", url: url)
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw InputError("safetensors header length \(headerLength) exceeds the \(Self.maximumHeaderLength)-byte limit", url: url)
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw InputError("safetensors header length \(headerLength) runs past the end of the \(bytes.count)-byte file", url: url)
        }
        let dataStart = 8 + Int(headerLength)
        let header = try Self.parseHeader(bytes.subdata(in: 8..<dataStart), url: url)
        try Self.validateLayout(header.entries, dataLength: bytes.count - dataStart, url: url)

        self.bytes = bytes
        self.dataStart = dataStart
        self.entries = header.entries
        self.metadata = header.metadata
        self.tensorNames = header.entries.keys.sorted()
    }

    /// The shape of tensor `name`, or nil if the file has no such tensor.
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }

    /// The stored element type of tensor `name`, or nil if the file has no such tensor.
    public func dtype(of name: String) -> TensorDType? { entries[name]?.dtype }

    /// Tensor `name` converted to `Float` (bool → 0/1; wide integers round).
    public func floatTensor(_ name: String) throws -> FloatTensor {
        guard let entry = entries[name] else {
            throw InputError("no tensor named \"\(name)\" (the file has \(entries.count))", url: url)
        }
        return withRawBytes(of: entry) { entry.dtype.floatTensor(shape: entry.shape, from: $0) }
    }

    /// Calls `body` with the stored little-endian bytes of tensor `name`, or returns nil if there is no such tensor.
    /// The buffer is valid only during the call.
    public func withRawBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let entry = entries[name] else { return nil }
        return try withRawBytes(of: entry, body)
    }

    /// The stored bytes of tensor `name` inside the mapped file, or nil if there is no such tensor: for weights used
    /// in place (e.g. bf16 matrices) without a copy. Valid as long as this object lives; keep a reference to it.
    public func mappedBytes(of name: String) -> UnsafeRawBufferPointer? {
        guard let entry = entries[name] else { return nil }
        // The Data is file-mapped and never mutated, so its storage (and this address) is fixed for its lifetime.
        return withRawBytes(of: entry) { $0 }
    }

    private func withRawBytes<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            let start = dataStart + entry.byteRange.lowerBound
            return try body(UnsafeRawBufferPointer(rebasing: all[start..<(start + entry.byteRange.count)]))
        }
    }
}

// MARK: - Header parsing and validation

extension SafetensorsFile {
    private struct Header {
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
    }

    private static func parseHeader(_ json: Data, url: URL) throws -> Header {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: json)
        } catch {
            throw InputError("safetensors header is not valid JSON", url: url)
        }
        guard case .object(let top) = document else {
            throw InputError("safetensors header is not a JSON object", url: url)
        }
        var header = Header()
        for (name, value) in top {
            if name == "__metadata__" {
                guard case .object(let map) = value else {
                    throw InputError("safetensors __metadata__ is not a JSON object", url: url)
                }
                for (key, value) in map {
                    guard case .string(let string) = value else {
                        throw InputError("safetensors __metadata__ value for \"\(key)\" is not a string", url: url)
                    }
                    header.metadata[key] = string
                }
                continue
            }
            header.entries[name] = try parseEntry(value, name: name, url: url)
        }
        return header
    }

    private static func parseEntry(_ value: JSONValue, name: String, url: URL) throws -> Entry {
        func fail(_ problem: String) -> InputError {
            InputError("safetensors tensor \"\(name)\": \(problem)", url: url)
        }
        guard case .object(let fields) = value else { throw fail("header entry is not a JSON object") }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw fail("dtype is missing or not a string") }
        guard let dtype = TensorDType(rawValue: dtypeName) else { throw fail("unsupported dtype \"\(dtypeName)\"") }
        guard let shape = fields["shape"]?.integerArray, shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("shape is missing or not a list of non-negative integers")
        }
        guard let offsets = fields["data_offsets"]?.integerArray, offsets.count == 2,
            offsets[0] >= 0, offsets[0] <= offsets[1]
        else {
            throw fail("data_offsets is missing or not [begin, end] with 0 <= begin <= end")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw fail("shape \(shape) has too many elements") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == offsets[1] - offsets[0] else {
            throw fail(
                "data_offsets \(offsets) span \(offsets[1] - offsets[0]) bytes but shape \(shape) of \(dtypeName) needs \(overflow ? "more" : String(byteCount))"
            )
        }
        return Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
    }

    /// Tensors must tile the data section exactly, in offset order.
    private static func validateLayout(_ entries: [String: Entry], dataLength: Int, url: URL) throws {
        let ordered = entries.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound, $0.key)
                < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound, $1.key)
        }
        var expectedStart = 0
        for (name, entry) in ordered {
            guard entry.byteRange.lowerBound == expectedStart else {
                let problem = entry.byteRange.lowerBound < expectedStart ? "overlaps the previous tensor" : "leaves a gap after the previous tensor"
                throw InputError(
                    "safetensors tensor \"\(name)\": data_offsets [\(entry.byteRange.lowerBound), \(entry.byteRange.upperBound)] \(problem)", url: url)
            }
            expectedStart = entry.byteRange.upperBound
        }
        guard expectedStart == dataLength else {
            throw InputError("safetensors tensors cover \(expectedStart) bytes but the data section has \(dataLength)", url: url)
        }
    }
}
