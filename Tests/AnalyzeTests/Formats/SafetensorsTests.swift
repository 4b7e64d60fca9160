@testable import Formats
import Foundation
import Testing

@Suite struct SafetensorsTests {
    @Test(arguments: ["f32", "f16", "bf16", "mixed"])
    func readsFilesWrittenBySafetensors(_ name: String) throws {
        let key = "safetensors/\(name).safetensors"
        let file = try SafetensorsFile(contentsOf: FormatFixtures.url(key))
        let expected = try #require(FormatFixtures.expected[key])
        #expect(file.tensorNames == expected.keys.sorted())
        for (tensorName, tensor) in expected {
            #expect(file.shape(of: tensorName) == tensor.shape)
            let actual = try file.floatTensor(tensorName)
            #expect(sameBits(actual, tensor.tensor), "\(key) \(tensorName)")
        }
    }

    @Test func readsDtypesAndMetadata() throws {
        let f32 = try SafetensorsFile(contentsOf: FormatFixtures.url("safetensors/f32.safetensors"))
        #expect(f32.metadata == ["format": "pt", "note": "fixture"])
        #expect(f32.dtype(of: "weight") == .f32)
        #expect(f32.shape(of: "scalar") == [])
        #expect(f32.shape(of: "empty") == [0, 3])
        #expect(try f32.floatTensor("empty").values.isEmpty)
        let mixed = try SafetensorsFile(contentsOf: FormatFixtures.url("safetensors/mixed.safetensors"))
        #expect(mixed.dtype(of: "bool") == .bool)
        #expect(mixed.dtype(of: "i16") == .i16)
        #expect(mixed.dtype(of: "missing") == nil)
        #expect(mixed.metadata.isEmpty)
    }

    @Test func unknownTensorNameIsAnInputErrorNamingFileAndTensor() throws {
        let url = FormatFixtures.url("safetensors/f32.safetensors")
        let file = try SafetensorsFile(contentsOf: url)
        let error = #expect(throws: InputError.self) { try file.floatTensor("nope") }
        #expect(error?.path == url.path)
        #expect(error?.description.contains("\"nope\"") == true)
    }

    @Test(arguments: ["single", "sharded"])
    func readsModelDirectories(_ name: String) throws {
        let key = "safetensors/\(name)"
        let checkpoint = try SafetensorsCheckpoint(directory: FormatFixtures.url(key))
        let expected = try #require(FormatFixtures.expected[key])
        #expect(checkpoint.tensorNames == expected.keys.sorted())
        for (tensorName, tensor) in expected {
            #expect(checkpoint.shape(of: tensorName) == tensor.shape)
            #expect(sameBits(try checkpoint.floatTensor(tensorName), tensor.tensor))
        }
        #expect(throws: InputError.self) { try checkpoint.floatTensor("lm_head.weight") }
    }

    @Test(arguments: FormatFixtures.files(in: "safetensors/malformed"))
    func rejectsMalformedFiles(_ url: URL) throws {
        let error = #expect(throws: InputError.self) { try SafetensorsFile(contentsOf: url) }
        #expect(error?.path == url.path)
    }

    @Test func malformedFilesFailForTheRightReason() throws {
        func message(_ name: String) -> String {
            do {
                _ = try SafetensorsFile(contentsOf: FormatFixtures.url("safetensors/malformed/\(name).safetensors"))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("unknown_dtype").contains("unsupported dtype \"Q7\""))
        #expect(message("huge_header_length").contains("exceeds the 100000000-byte limit"))
        #expect(message("offsets_lie").contains("span 12 bytes but shape [2] of F32 needs 8"))
        #expect(message("overlap").contains("overlaps"))
        #expect(message("gap").contains("gap"))
        #expect(message("truncated_data").contains("data section has"))
        #expect(message("bool_in_shape").contains("shape"))
        #expect(message("fractional_offset").contains("data_offsets"))
        #expect(message("not_json").contains("not valid JSON"))
    }

    @Test func checkpointRejectsBadDirectories() throws {
        let temporary = try TemporaryDirectory()
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        let index = temporary.url.appendingPathComponent(SafetensorsCheckpoint.indexFileName)
        try Data(#"{"weight_map": "#.utf8).write(to: index)
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        try Data(#"{"weight_map": [1]}"#.utf8).write(to: index)
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        try Data(#"{"weight_map": {"a": "../f32.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        try Data(#"{"weight_map": {"a": "missing.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        try FileManager.default.copyItem(
            at: FormatFixtures.url("safetensors/f32.safetensors"),
            to: temporary.url.appendingPathComponent("f32.safetensors"))
        try Data(#"{"weight_map": {"not_in_shard": "f32.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: InputError.self) { try SafetensorsCheckpoint(directory: temporary.url) }

        try Data(#"{"weight_map": {"weight": "f32.safetensors"}}"#.utf8).write(to: index)
        #expect(try SafetensorsCheckpoint(directory: temporary.url).tensorNames == ["weight"])
    }

    @Test func missingFileIsAnInputError() {
        #expect(throws: InputError.self) {
            try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
        }
    }

    /// Every binary16 pattern converts exactly as the hardware/stdlib conversion does.
    @Test func halfConversionIsExactForEveryBitPattern() {
        #if !(os(macOS) && arch(x86_64))
            for bits in UInt16.min...UInt16.max {
                let reference = Float(Float16(bitPattern: bits))
                let ours = floatFromHalfBits(bits)
                if reference.isNaN {
                    #expect(ours.isNaN && ours.sign == reference.sign, "\(bits)")
                } else {
                    #expect(ours.bitPattern == reference.bitPattern, "\(bits)")
                }
            }
        #endif
    }
}

@Suite struct SafetensorsFuzzTests {
    /// Damaged files either fail with an InputError or open and read every tensor; they never crash.
    @Test(arguments: ["f32", "mixed"])
    func damagedFilesNeverCrash(_ name: String) throws {
        let original = try Data(contentsOf: FormatFixtures.url("safetensors/\(name).safetensors"))
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("fuzzed.safetensors")
        var rejected = 0
        for variant in fuzzedVariants(of: original, count: 300, seed: 42) {
            try variant.write(to: url)
            do {
                let file = try SafetensorsFile(contentsOf: url)
                for tensorName in file.tensorNames { _ = try file.floatTensor(tensorName) }
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }
}
