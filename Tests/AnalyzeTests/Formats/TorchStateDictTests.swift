@testable import Formats
import Foundation
import Testing

@Suite struct TorchStateDictTests {
    @Test(arguments: ["dtypes_and_views", "module_state_dict", "parameters_in_buffer"])
    func readsFilesWrittenByTorchSave(_ name: String) throws {
        let key = "torch/\(name).pt"
        let stateDict = try TorchStateDict(contentsOf: FormatFixtures.url(key))
        let expected = try #require(FormatFixtures.expected[key])
        #expect(stateDict.tensorNames == expected.keys.sorted())
        for (tensorName, tensor) in expected {
            #expect(stateDict.shape(of: tensorName) == tensor.shape, "\(tensorName)")
            #expect(sameBits(try stateDict.floatTensor(tensorName), tensor.tensor), "\(key) \(tensorName)")
        }
    }

    @Test func reportsStoredDtypes() throws {
        let stateDict = try TorchStateDict(contentsOf: FormatFixtures.url("torch/dtypes_and_views.pt"))
        let expected: [String: TensorDType] = [
            "f32": .f32, "f16": .f16, "bf16": .bf16, "f64": .f64, "i64": .i64,
            "i32": .i32, "i16": .i16, "i8": .i8, "u8": .u8, "bool": .bool,
        ]
        for (name, dtype) in expected { #expect(stateDict.dtype(of: name) == dtype) }
        #expect(try stateDict.floatTensor("transposed").values == stateDict.floatTensor("base").values.transposed(rows: 4, columns: 6))
    }

    struct Checksums: Decodable {
        var shape: [Int]
        var count: Int
        var bit_sum: UInt64
        var weighted_bit_sum: UInt64
        var first_bits: [UInt32]
        var sum: Double
    }

    /// The seed's SAE exports, compared with torch's own load through exact fingerprints of every tensor.
    @Test(arguments: ["seed-sae-btopk8-l2", "seed-sae-relu-l2"])
    func readsTheSeedSAEWeightsExactly(_ name: String) throws {
        let key = "torch/\(name).pt"
        let data = try Data(contentsOf: FormatFixtures.url("checksums.json"))
        let expected = try #require(try JSONDecoder().decode([String: [String: Checksums]].self, from: data)[key])
        let stateDict = try TorchStateDict(contentsOf: FormatFixtures.url(key))
        #expect(stateDict.tensorNames == expected.keys.sorted())
        for (tensorName, checks) in expected {
            let tensor = try stateDict.floatTensor(tensorName)
            let bits = tensor.values.map { UInt64($0.bitPattern) }
            #expect(tensor.shape == checks.shape)
            #expect(bits.count == checks.count)
            #expect(bits.reduce(0, &+) == checks.bit_sum, "\(tensorName)")
            #expect(bits.enumerated().reduce(0) { $0 &+ UInt64($1.offset + 1) &* $1.element } == checks.weighted_bit_sum)
            #expect(Array(tensor.values.prefix(8).map(\.bitPattern)) == checks.first_bits)
        }
        #expect(stateDict.shape(of: "W_enc") == [64, 256])
    }

    @Test func refusesGlobalsOutsideTheAllowlist() throws {
        for (file, global) in [("os_system_global", "os.system"), ("eval_global", "builtins.eval")] {
            let url = FormatFixtures.url("torch/malformed/\(file).pt")
            let error = #expect(throws: InputError.self) { try TorchStateDict(contentsOf: url) }
            #expect(error?.description.contains("refusing to load the global \(global)") == true, "\(error as Any)")
            #expect(error?.path == url.path)
        }
    }

    @Test(arguments: FormatFixtures.files(in: "torch/malformed"))
    func rejectsMalformedFiles(_ url: URL) throws {
        let error = #expect(throws: InputError.self) {
            let stateDict = try TorchStateDict(contentsOf: url)
            for name in stateDict.tensorNames { _ = try stateDict.floatTensor(name) }
        }
        #expect(error?.path == url.path)
    }

    @Test func explainsUnsupportedFiles() throws {
        func message(_ name: String) -> String {
            do {
                let stateDict = try TorchStateDict(contentsOf: FormatFixtures.url("torch/malformed/\(name).pt"))
                for tensorName in stateDict.tensorNames { _ = try stateDict.floatTensor(tensorName) }
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("legacy_format").contains("torch < 1.6"))
        #expect(message("list_not_dict").contains("not a state dict"))
        #expect(message("missing_storage").contains("missing"))
        #expect(message("short_storage").contains("has 20 bytes, expected 6 elements"))
        #expect(message("view_past_storage").contains("reaches element 8 of a storage of 6"))
        #expect(message("unknown_opcode").contains("unsupported opcode 0xff"))
        #expect(message("big_endian").contains("big-endian"))
    }

    @Test func unknownTensorIsAnInputError() throws {
        let stateDict = try TorchStateDict(contentsOf: FormatFixtures.url("torch/module_state_dict.pt"))
        #expect(throws: InputError.self) { try stateDict.floatTensor("2.weight") }
    }

    /// A damaged zip64 end record (found by Fuzz/TorchStateDict; offsets past the file, one past 2^63): ZIPFoundation
    /// 0.9.20 traps converting it to off_t, so `ZipDirectoryCheck` refuses every out-of-file offset before it opens
    /// the archive.
    @Test func damagedCentralDirectoryIsAnInputError() {
        let error = #expect(throws: InputError.self) {
            try TorchStateDict(contentsOf: FormatFixtures.url("fuzz/torch_zip_directory_trap.pt"))
        }
        #expect(error?.message.hasPrefix("not a readable zip archive") == true)
    }

    @Test func damagedFilesNeverCrash() throws {
        let original = try Data(contentsOf: FormatFixtures.url("torch/dtypes_and_views.pt"))
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("fuzzed.pt")
        var rejected = 0
        for variant in fuzzedVariants(of: original, count: 300, seed: 5) {
            try variant.write(to: url)
            do {
                let stateDict = try TorchStateDict(contentsOf: url)
                for name in stateDict.tensorNames { _ = try stateDict.floatTensor(name) }
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }
}

@Suite struct PickleTests {
    let machine = Pickle(allowedGlobals: [], reduce: { _, _, _ in .none }, persistentLoad: { _ in .none })

    @Test func readsPlainData() throws {
        // pickle.dumps({'a': [1, -2, 300000, 2**40, 1.5, True, None], 'b': ('x', 'x')}, protocol=2)
        let program = Data([
            0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x5d,
            0x71, 0x02, 0x28, 0x4b, 0x01, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x4a, 0xe0, 0x93, 0x04, 0x00,
            0x8a, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x47, 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x88, 0x4e, 0x65, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x03, 0x58, 0x01,
            0x00, 0x00, 0x00, 0x78, 0x71, 0x04, 0x68, 0x04, 0x86, 0x71, 0x05, 0x75, 0x2e,
        ])
        guard case .dict(let dict) = try machine.load(program) else { Issue.record("not a dict"); return }
        #expect(dict.items.count == 2)
        guard case .list(let list) = dict.items[0].value else { Issue.record("not a list"); return }
        let ints = list.items.compactMap { if case .int(let value) = $0 { value } else { nil } }
        #expect(ints == [1, -2, 300000, 1 << 40])
        if case .float(let value) = list.items[4] { #expect(value == 1.5) } else { Issue.record("not a float") }
    }

    @Test func rejectsDeepNesting() {
        // PROTO 2, EMPTY_TUPLE, then TUPLE1 200 times, STOP.
        let program = Data([0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 200) + [0x2e])
        #expect(throws: InputError.self) { try machine.load(program) }
    }

    /// A tuple's depth was recomputed by walking its children, so `DUP, DUP, TUPLE3` repeated n times (a DAG with
    /// 3^n paths) never finished loading (found by Fuzz/Pickle). Depths now travel with the stack and memo entries.
    @Test func tuplesSharingChildrenLoadInLinearTime() throws {
        func dag(_ levels: Int) -> Data {
            Data([0x80, 0x02, 0x29] + [UInt8](repeating: 0, count: levels).flatMap { _ in [0x32, 0x32, 0x87] } + [0x2e])
        }
        var value = try machine.load(dag(80))
        var depth = 1
        while case .tuple(let items) = value, let first = items.first {
            #expect(items.count == 3)
            value = first
            depth += 1
        }
        #expect(depth == 81)
        #expect(Pickle.depth(of: try machine.load(dag(10))) == 11)
        #expect(throws: InputError.self) { try machine.load(dag(120)) }
        // The fuzzer's own input ends without STOP; it must fail quickly, not after walking its DAG.
        #expect(throws: InputError.self) {
            try machine.load(try Data(contentsOf: FormatFixtures.url("fuzz/pickle_dag_of_tuples.pkl")))
        }
    }

    /// Damaged state-dict pickles run through the torch allowlist fail with an InputError or load; never crash.
    @Test func damagedPicklesNeverCrash() throws {
        let url = FormatFixtures.url("torch/dtypes_and_views.pt")
        let archive = try NPZ.openArchive(url)
        let entry = try #require(archive.first { $0.path.hasSuffix("/data.pkl") })
        let original = try NPZ.extract(entry, from: archive, url: url)
        var rejected = 0
        for variant in fuzzedVariants(of: original, count: 3000, seed: 3) {
            do {
                _ = try TorchStateDict.machine.load(variant)
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(rejected > 1000)
    }

    @Test func rejectsStackUnderflowAndMissingMemo() {
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x2e])) }
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x68, 0x07, 0x2e])) }
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f])) }
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x63, 0x6f, 0x73])) }
    }

    /// A storage of 2^62 float32 elements overflowed the byte count `floatTensor` computes (a trap); such a storage
    /// reference is refused when the pickle is read.
    @Test func rejectsStoragesTooLargeToCount() throws {
        // BINPERSID of ('storage', torch.FloatStorage, '0', 'cpu', count), count as an 8-byte LONG1.
        func program(count: UInt64) -> Data {
            var bytes: [UInt8] = [0x80, 0x02, 0x28]
            bytes += [0x58, 7, 0, 0, 0] + Array("storage".utf8)
            bytes += [0x63] + Array("torch\nFloatStorage\n".utf8)
            bytes += [0x58, 1, 0, 0, 0] + Array("0".utf8)
            bytes += [0x58, 3, 0, 0, 0] + Array("cpu".utf8)
            bytes += [0x8a, 8] + withUnsafeBytes(of: count.littleEndian) { Array($0) }
            return Data(bytes + [0x74, 0x51, 0x2e])
        }
        guard case .object(let storage as TorchStateDict.StorageReference) = try TorchStateDict.machine.load(program(count: 1000)) else {
            Issue.record("not a storage reference"); return
        }
        #expect(storage.elementCount == 1000)
        #expect(throws: InputError.self) { try TorchStateDict.machine.load(program(count: 1 << 62)) }
    }

    /// A list or dict put into itself made a reference cycle that leaked (found by Fuzz/Pickle).
    @Test func rejectsContainersHoldingThemselves() {
        // PROTO 2, EMPTY_LIST, DUP, APPEND, STOP: x = []; x.append(x).
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x5d, 0x32, 0x61, 0x2e])) }
        // The fuzzer's input: EMPTY_DICT, BINPUT 104, BINGET 104 seven times, SETITEM: d[d] = d.
        let found = Data(
            [0x80, 0x02, 0x7d, 0x71, 0x68] + [UInt8](repeating: 0x68, count: 14)
                + [0x73, 0x0a, 0x4f, 0x72, 0x64, 0x25])
        #expect(throws: InputError.self) { try TorchStateDict.machine.load(found) }
        #expect(throws: InputError.self) { try machine.load(Data([0x80, 0x02, 0x7d, 0x32, 0x32, 0x73, 0x2e])) }
    }
}

extension Array where Element == Float {
    /// The transpose of a row-major `rows`×`columns` matrix.
    func transposed(rows: Int, columns: Int) -> [Float] {
        (0..<(rows * columns)).map { index in self[(index % rows) * columns + index / rows] }
    }
}
