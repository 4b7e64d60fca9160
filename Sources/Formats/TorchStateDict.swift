import Foundation
import ZIPFoundation

/// A PyTorch state dict saved with `torch.save(model.state_dict(), path)` (the zip format of torch ≥ 1.6).
///
/// The archive holds `<folder>/data.pkl`, a pickle of a dict whose values are rebuilt tensors referring to storages
/// by key, and `<folder>/data/<key>` with each storage's raw little-endian bytes. The pickle is run by a restricted
/// interpreter that accepts only the globals a state dict uses, like `torch.load(weights_only=True)`.
/// Nested dicts are flattened with `.` between keys; plain non-tensor values (strings, numbers, booleans, as the
/// OpenAI SAEs store `activation` and `activation_state_dict.k`) are kept in `values`, anything else is ignored.
public final class TorchStateDict: @unchecked Sendable {
    /// The file this was read from.
    public let url: URL
    /// The tensor names, sorted.
    public let tensorNames: [String]
    /// The plain non-tensor entries by flattened name, e.g. `activation_state_dict.k`.
    public let values: [String: JSONValue]

    // Immutable after init except through `lock`, hence @unchecked Sendable.
    private let tensors: [String: TensorRecord]
    private let archive: Archive
    private let memberFolder: String
    private let lock = NSLock()

    /// Opens the archive and interprets `data.pkl`; tensor data is read on demand.
    public init(contentsOf url: URL) throws {
        self.url = url
        if let head = try? FileHandle(forReadingFrom: url).readData(ofLength: 4), head.count == 4,
            head != Data([0x50, 0x4b, 0x03, 0x04])
        {
            throw InputError(
                "not a zip-format torch.save file (files from torch < 1.6 or saved with _use_new_zipfile_serialization=False are not supported)", url: url)
        }
        archive = try NPZ.openArchive(url)
        let pickles = archive.filter { $0.path.hasSuffix("/data.pkl") || $0.path == "data.pkl" }
        guard pickles.count == 1, let pickleEntry = pickles.first else {
            throw InputError(
                pickles.isEmpty
                    ? "no data.pkl in the archive; not a torch.save file"
                    : "\(pickles.count) data.pkl members in the archive", url: url)
        }
        memberFolder = String(pickleEntry.path.dropLast("data.pkl".count))
        if let byteorder = archive[memberFolder + "byteorder"] {
            let order = String(decoding: try NPZ.extract(byteorder, from: archive, url: url), as: UTF8.self)
            guard order == "little" else { throw InputError("tensors are stored \(order)-endian; only little-endian is supported", url: url) }
        }
        let root: PickleValue
        do {
            root = try Self.machine.load(try NPZ.extract(pickleEntry, from: archive, url: url))
        } catch let error as InputError where error.path == nil {
            throw InputError("\(pickleEntry.path): \(error.message)", url: url)
        }
        var tensors: [String: TensorRecord] = [:]
        var values: [String: JSONValue] = [:]
        guard case .dict(let dict) = root else {
            throw InputError("data.pkl holds \(root.kind), not a state dict", url: url)
        }
        try Self.collectTensors(dict, prefix: "", into: &tensors, values: &values, url: url)
        self.tensors = tensors
        self.values = values
        tensorNames = tensors.keys.sorted()
    }

    /// The shape of tensor `name`, or nil if there is no such tensor.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The stored element type of tensor `name`, or nil if there is no such tensor.
    public func dtype(of name: String) -> TensorDType? { tensors[name]?.storage.dtype }

    /// Tensor `name` converted to `Float` (bool → 0/1), copied to contiguous row-major order whatever its strides.
    public func floatTensor(_ name: String) throws -> FloatTensor {
        guard let tensor = tensors[name] else {
            throw InputError("no tensor named \"\(name)\" (the state dict has \(tensors.count))", url: url)
        }
        let storage = tensor.storage
        let memberPath = memberFolder + "data/" + storage.key
        let bytes: Data = try lock.withLock {
            guard let entry = archive[memberPath] else {
                throw InputError("tensor \"\(name)\" refers to storage \(memberPath), which is missing", url: url)
            }
            return try NPZ.extract(entry, from: archive, url: url)
        }
        guard bytes.count == storage.elementCount * storage.dtype.byteSize else {
            throw InputError("storage \(memberPath) has \(bytes.count) bytes, expected \(storage.elementCount) elements of \(storage.dtype.rawValue)", url: url)
        }
        return bytes.withUnsafeBytes { raw in tensor.gather(from: raw) }
    }

    private static func collectTensors(
        _ dict: PickleDict, prefix: String, into tensors: inout [String: TensorRecord],
        values: inout [String: JSONValue], url: URL
    ) throws {
        for (key, value) in dict.items {
            let name: String
            switch key {
            case .string(let string): name = prefix + string
            case .int(let int): name = prefix + String(int)
            default: continue
            }
            switch value {
            case .object(let tensor as TensorRecord):
                guard tensors[name] == nil else { throw InputError("state dict has two tensors named \"\(name)\"", url: url) }
                try tensor.validate(name: name, url: url)
                tensors[name] = tensor
            case .dict(let nested):
                try collectTensors(nested, prefix: name + ".", into: &tensors, values: &values, url: url)
            case .string(let string): values[name] = .string(string)
            case .int(let int): values[name] = .int(int)
            case .float(let double): values[name] = .double(double)
            case .bool(let bool): values[name] = .bool(bool)
            default:
                continue
            }
        }
    }
}

// MARK: - Unpickling

extension TorchStateDict {
    /// Storage class name → element type.
    static let storageTypes: [String: TensorDType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    struct StorageReference: Sendable {
        var dtype: TensorDType
        var key: String
        var elementCount: Int
    }

    /// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage.
    struct TensorRecord: Sendable {
        var storage: StorageReference
        var offset: Int
        var shape: [Int]
        var strides: [Int]

        /// Checks that every element of the view lies inside the storage.
        func validate(name: String, url: URL) throws {
            func fail(_ problem: String) -> InputError { InputError("tensor \"\(name)\": \(problem)", url: url) }
            guard shape.count == strides.count else { throw fail("shape \(shape) and strides \(strides) differ in length") }
            guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
                throw fail("negative offset, size or stride")
            }
            var count = 1
            var lastIndex = offset
            for (size, stride) in zip(shape, strides) {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow else { throw fail("shape \(shape) has too many elements") }
                count = product
                let (step, overflowStep) = (size == 0 ? 0 : size - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflowSum) = lastIndex.addingReportingOverflow(step)
                guard !overflowStep, !overflowSum else { throw fail("strides \(strides) overflow") }
                lastIndex = sum
            }
            guard count == 0 || lastIndex < storage.elementCount else {
                throw fail("view (offset \(offset), shape \(shape), strides \(strides)) reaches element \(lastIndex) of a storage of \(storage.elementCount)")
            }
        }

        var isContiguous: Bool {
            var expected = 1
            for (size, stride) in zip(shape, strides).reversed() {
                if size != 1 && stride != expected { return false }
                expected *= size
            }
            return true
        }

        /// The view's elements in row-major order, converted to Float. `raw` is the whole storage.
        func gather(from raw: UnsafeRawBufferPointer) -> FloatTensor {
            let count = shape.reduce(1, *)
            let itemSize = storage.dtype.byteSize
            guard let base = raw.baseAddress, count > 0 else { return FloatTensor(shape: shape, values: []) }
            if isContiguous {
                return storage.dtype.floatTensor(shape: shape, from: UnsafeRawBufferPointer(rebasing: raw[(offset * itemSize)..<((offset + count) * itemSize)]))
            }
            // Strided: walk the index space row by row, converting each innermost run.
            let values = [Float](count: count) { buffer in
                let rank = shape.count
                let innerSize = shape[rank - 1], innerStride = strides[rank - 1]
                var index = [Int](repeating: 0, count: rank)
                var output = 0
                while output < count {
                    var element = offset
                    for dimension in 0..<(rank - 1) { element += index[dimension] * strides[dimension] }
                    for inner in 0..<innerSize {
                        storage.dtype.convertToFloat(
                            base + (element + inner * innerStride) * itemSize, count: 1,
                            into: buffer.baseAddress! + output + inner)
                    }
                    output += innerSize
                    var dimension = rank - 2
                    while dimension >= 0 {
                        index[dimension] += 1
                        if index[dimension] < shape[dimension] { break }
                        index[dimension] = 0
                        dimension -= 1
                    }
                }
            }
            return FloatTensor(shape: shape, values: values)
        }
    }

    static let machine = Pickle(
        allowedGlobals: Set(
            [
                "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            ]
                + storageTypes.keys.map { "torch.\($0)" }),
        reduce: { module, name, arguments in
            switch "\(module).\(name)" {
            case "collections.OrderedDict":
                guard arguments.isEmpty else { throw InputError("pickle: OrderedDict called with arguments") }
                return .dict(PickleDict())
            case "torch._utils._rebuild_tensor_v2":
                return try rebuildTensor(arguments)
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
                guard case .object(let tensor as TensorRecord)? = arguments.first else {
                    throw InputError("pickle: _rebuild_parameter without a tensor")
                }
                return .object(tensor)
            default:
                throw InputError("pickle: \(module).\(name) cannot be called")
            }
        },
        persistentLoad: { id in
            // ('storage', <storage class>, key, location, element count)
            guard case .tuple(let fields) = id, fields.count == 5, case .string("storage") = fields[0],
                case .global("torch", let className) = fields[1], let dtype = storageTypes[className],
                case .string(let key) = fields[2], case .int(let count) = fields[4], count >= 0
            else {
                throw InputError("pickle: persistent id is not a torch storage reference")
            }
            guard !key.isEmpty, !key.contains("/"), key != "..", key != "." else {
                throw InputError("pickle: storage key \"\(key)\" is not a plain name")
            }
            // `floatTensor` compares the storage's byte count with its archive member's: it must not overflow.
            guard !count.multipliedReportingOverflow(by: dtype.byteSize).overflow else {
                throw InputError("pickle: storage \(key) claims \(count) elements, more than any file holds")
            }
            return .object(StorageReference(dtype: dtype, key: key, elementCount: count))
        })

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private static func rebuildTensor(_ arguments: [PickleValue]) throws -> PickleValue {
        func integers(_ value: PickleValue) -> [Int]? {
            guard case .tuple(let items) = value else { return nil }
            let values = items.compactMap { item -> Int? in if case .int(let int) = item { int } else { nil } }
            return values.count == items.count ? values : nil
        }
        guard arguments.count >= 4, case .object(let storage as StorageReference) = arguments[0],
            case .int(let offset) = arguments[1], let shape = integers(arguments[2]), let strides = integers(arguments[3])
        else {
            throw InputError("pickle: _rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)")
        }
        return .object(TensorRecord(storage: storage, offset: offset, shape: shape, strides: strides))
    }
}
