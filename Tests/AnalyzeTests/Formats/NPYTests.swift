@testable import Formats
import Foundation
import Testing

@Suite struct NPYTests {
    static let arrayFiles = FormatFixtures.files(in: "npy").filter { $0.pathExtension == "npy" }

    @Test(arguments: arrayFiles)
    func readsFilesWrittenByNumpy(_ url: URL) throws {
        let expected = try #require(FormatFixtures.expected["npy/\(url.lastPathComponent)"]?["array"])
        let array = try NPY.read(url)
        #expect(array.shape == expected.shape)
        #expect(array.dtype.descr == expected.descr)
        #expect(sameBits(try array.floatTensor(), expected.tensor))
        if let ints = expected.ints {
            if array.dtype == .uint64 || ints.allSatisfy({ Int32(exactly: $0) != nil }) {
                #expect(try array.int64Values() == ints)
            }
        } else {
            #expect(throws: InputError.self) { try array.int64Values() }
        }
    }

    @Test func coversEveryHeaderVersion() throws {
        let v1 = try NPY.read(FormatFixtures.url("npy/f4_2x3.npy"))
        #expect(try NPY.read(FormatFixtures.url("npy/v2_f4_2x3.npy")) == v1)
        #expect(try NPY.read(FormatFixtures.url("npy/v3_f4_2x3.npy")) == v1)
    }

    @Test(arguments: FormatFixtures.files(in: "npy/malformed"))
    func rejectsMalformedFiles(_ url: URL) throws {
        let error = #expect(throws: InputError.self) { try NPY.read(url) }
        #expect(error?.path == url.path)
        #expect(throws: InputError.self) { try NPY.readFloatTensor(url) }
    }

    @Test func explainsUnsupportedLayouts() throws {
        func message(_ name: String) -> String {
            do {
                _ = try NPY.read(FormatFixtures.url("npy/malformed/\(name).npy"))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("fortran_order").contains("Fortran order"))
        #expect(message("big_endian").contains("big-endian (>f4)"))
        #expect(message("structured").contains("structured"))
        #expect(message("complex").contains("'<c8' is not supported"))
        #expect(message("version_9").contains("version 9.0"))
        #expect(message("truncated_data").contains("data is 23 bytes"))
        #expect(message("extra_data").contains("data is 28 bytes"))
    }

    @Test func writesWhatItReads() throws {
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("a.npy")
        try NPY.write([1.5, -2, 3, 0.25, 5, 6] as [Float], shape: [2, 3], to: url)
        #expect(try NPY.read(url) == NPYArray([1.5, -2, 3, 0.25, 5, 6] as [Float], shape: [2, 3]))
        try NPY.write([1, -2] as [Int32], shape: [2], to: url)
        #expect(try NPY.read(url).int32Values() == [1, -2])
        try NPY.write([Int64.min, Int64.max] as [Int64], shape: [2, 1], to: url)
        #expect(try NPY.read(url).int64Values() == [Int64.min, Int64.max])
        try NPY.write([0.1] as [Double], shape: [], to: url)
        #expect(try NPY.read(url).doubleValues() == [0.1])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: temporary.url.path)
        #expect(leftovers == ["a.npy"])
    }

    /// Blocks written on the writer's own thread arrive in order, whole; the file appears only at `close`, and a short
    /// or discarded file leaves nothing behind.
    @Test func streamWriterWritesItsBlocksInOrder() throws {
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("m.npy")
        let rows = 37, columns = 513
        let values = (0..<(rows * columns)).map { Float($0) * 0.5 - 7 }
        let writer = try NPYStreamWriter(url: url, rows: rows, columns: columns)
        var row = 0
        for count in [1, 5, 0, 13, 18] {
            let block = Array(values[(row * columns)..<((row + count) * columns)])
            if count % 2 == 0 { try writer.append(block) } else { try block.withUnsafeBufferPointer { try writer.append($0) } }
            row += count
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        try writer.close()
        #expect(try NPY.read(url) == NPYArray(values, shape: [rows, columns]))

        let short = try NPYStreamWriter(url: temporary.url.appendingPathComponent("short.npy"), rows: 2, columns: 3)
        try short.append([1, 2, 3])
        #expect(throws: InputError.self) { try short.close() }
        let discarded = try NPYStreamWriter(url: temporary.url.appendingPathComponent("gone.npy"), rows: 1, columns: 3)
        try discarded.append([1, 2, 3])
        discarded.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path) == ["m.npy"])
    }

    /// Our header is byte-for-byte what numpy writes for the same array.
    @Test func headerMatchesNumpy() throws {
        let numpyBytes = try Data(contentsOf: FormatFixtures.url("npy/f4_2x3x4.npy"))
        let array = try NPY.decode(numpyBytes)
        #expect(NPY.encode(array) == numpyBytes)
        let scalar = try Data(contentsOf: FormatFixtures.url("npy/scalar_f4.npy"))
        #expect(NPY.encode(try NPY.decode(scalar)) == scalar)
        let oneD = try Data(contentsOf: FormatFixtures.url("npy/i8_3.npy"))
        #expect(NPY.encode(try NPY.decode(oneD)) == oneD)
        #expect(NPY.encode(array).count % 64 == array.data.count % 64)
        let shifted = (Data([9, 9, 9]) + numpyBytes)[3...]
        #expect(try NPY.decode(shifted) == array, "decoding a slice that does not start at index 0")
    }

    @Test(arguments: arrayFiles)
    func readsFloatTensorsWithoutCopying(_ url: URL) throws {
        let expected = try #require(FormatFixtures.expected["npy/\(url.lastPathComponent)"]?["array"])
        #expect(sameBits(try NPY.readFloatTensor(url), expected.tensor))
    }

    @Test func damagedFilesNeverCrash() throws {
        let original = try Data(contentsOf: FormatFixtures.url("npy/f4_2x3x4.npy"))
        var rejected = 0
        for variant in fuzzedVariants(of: original, count: 600, seed: 7) {
            do {
                let array = try NPY.decode(variant)
                _ = try array.floatValues()
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(rejected > 200)
    }
}

@Suite struct NPZTests {
    @Test(arguments: ["stored", "compressed"])
    func readsArchivesWrittenByNumpy(_ name: String) throws {
        let key = "npz/\(name).npz"
        let arrays = try NPZ.read(FormatFixtures.url(key))
        let expected = try #require(FormatFixtures.expected[key])
        #expect(Set(arrays.keys) == Set(expected.keys))
        for (member, tensor) in expected {
            let array = try #require(arrays[member])
            #expect(array.dtype.descr == tensor.descr)
            #expect(sameBits(try array.floatTensor(), tensor.tensor))
        }
    }

    @Test(arguments: [false, true])
    func writesWhatItReads(compressed: Bool) throws {
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("a.npz")
        let arrays: [(String, NPYArray)] = [
            ("x", NPYArray((0..<1000).map { Float($0).squareRoot() }, shape: [10, 100])),
            ("ids", NPYArray([3, 1, 2] as [Int64], shape: [3])),
            ("name", NPYArray(string: "héllo")),
        ]
        try NPZ.write(arrays: arrays, to: url, compressed: compressed)
        let read = try NPZ.read(url)
        #expect(read.count == 3)
        for (name, array) in arrays { #expect(read[name] == array) }
        #expect(try read["name"]?.stringValue() == "héllo")
        #expect(throws: InputError.self) { try NPZ.write(arrays: [("a", arrays[0].1), ("a", arrays[1].1)], to: url, compressed: compressed) }
        #expect(try NPZ.read(url).count == 3, "a failed write leaves the previous file intact")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path) == ["a.npz"])
    }

    @Test(arguments: ["csr_compressed", "csr_stored"])
    func readsScipySparseMatrices(_ name: String) throws {
        let key = "npz/\(name).npz"
        let matrix = try SparseCSR.read(from: FormatFixtures.url(key))
        let expected = try #require(FormatFixtures.expected[key]?["dense"])
        #expect([matrix.shape.rows, matrix.shape.columns] == expected.shape)
        #expect(sameBits(FloatTensor(shape: expected.shape, values: matrix.denseValues()), expected.tensor))
        #expect(matrix == SparseCSR(dense: matrix.denseValues(), rows: matrix.shape.rows, columns: matrix.shape.columns))
    }

    @Test func sparseRoundTrip() throws {
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("m.npz")
        let matrix = SparseCSR(dense: [0, 1.5, 0, 0, 0, 0, -2, 0, 3], rows: 3, columns: 3)
        #expect(matrix.indptr == [0, 1, 1, 3])
        #expect(matrix.indices == [1, 0, 2])
        try matrix.write(to: url)
        #expect(try SparseCSR.read(from: url) == matrix)
        #expect(try NPZ.read(url)["format"]?.dtype == .bytes(3), "as scipy writes it")
    }

    @Test func rejectsInconsistentSparseParts() {
        #expect(throws: InputError.self) { try SparseCSR(shape: (2, 2), data: [1], indices: [0], indptr: [0, 1]) }
        #expect(throws: InputError.self) { try SparseCSR(shape: (1, 2), data: [1], indices: [2], indptr: [0, 1]) }
        #expect(throws: InputError.self) { try SparseCSR(shape: (2, 2), data: [1, 2], indices: [0, 1], indptr: [0, 2, 1]) }
        #expect(throws: InputError.self) { try SparseCSR(shape: (1, 2), data: [1, 2], indices: [0], indptr: [0, 2]) }
    }

    @Test func rejectsOtherSparseFormats() {
        let url = FormatFixtures.url("npz/csc.npz")
        let error = #expect(throws: InputError.self) { try SparseCSR.read(from: url) }
        #expect(error?.description.contains("'csc'") == true)
    }

    @Test(arguments: FormatFixtures.files(in: "npz/malformed"))
    func rejectsMalformedArchives(_ url: URL) throws {
        let error = #expect(throws: InputError.self) {
            if url.lastPathComponent.hasPrefix("csr_") { _ = try SparseCSR.read(from: url) } else { _ = try NPZ.read(url) }
        }
        #expect(error?.path == url.path)
    }

    @Test func missingArchiveIsAnInputError() {
        #expect(throws: InputError.self) { try NPZ.read(URL(fileURLWithPath: "/nonexistent/a.npz")) }
    }

    @Test(arguments: ["stored", "compressed"])
    func damagedArchivesNeverCrash(_ name: String) throws {
        let original = try Data(contentsOf: FormatFixtures.url("npz/\(name).npz"))
        let temporary = try TemporaryDirectory()
        let url = temporary.url.appendingPathComponent("fuzzed.npz")
        var rejected = 0
        for variant in fuzzedVariants(of: original, count: 300, seed: 11) {
            try variant.write(to: url)
            do {
                for array in try NPZ.read(url).values where !array.dtype.isString { _ = try array.floatValues() }
            } catch is InputError {
                rejected += 1
            }
        }
        #expect(rejected > 100)
    }

    /// With SAE_REPORT_WRITE_ROUNDTRIP=DIR set, writes files for `scripts/fixtures/make_format_fixtures.py --check DIR`
    /// to load with numpy and scipy. Without it this test only checks that the writers succeed.
    @Test func writesRoundTripFilesForPythonCheck() throws {
        let temporary = try TemporaryDirectory()
        let directory = ProcessInfo.processInfo.environment["SAE_REPORT_WRITE_ROUNDTRIP"].map(URL.init(fileURLWithPath:)) ?? temporary.url
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try RoundTripFiles.write(to: directory)
        #expect(try NPY.read(directory.appendingPathComponent("f32.npy")).shape == [3, 5])
    }
}

/// The files our writers produce for the Python round-trip check; the script recomputes the same values.
enum RoundTripFiles {
    static func floats(_ count: Int) -> [Float] { (0..<count).map { Float($0) * 0.5 - 3 } }

    static func write(to directory: URL) throws {
        func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
        try NPY.write(floats(15), shape: [3, 5], to: url("f32.npy"))
        try NPY.write(floats(4).map(Double.init), shape: [2, 2], to: url("f64.npy"))
        try NPY.write([-7, 0, Int32.max] as [Int32], shape: [3], to: url("i32.npy"))
        try NPY.write([Int64.min, 1 << 40] as [Int64], shape: [2], to: url("i64.npy"))
        try NPY.write([42] as [Float], shape: [], to: url("scalar.npy"))
        try NPY.write([] as [Float], shape: [0, 4], to: url("empty.npy"))
        for compressed in [false, true] {
            try NPZ.write(
                arrays: [("a", NPYArray(floats(6), shape: [2, 3])), ("b", NPYArray([1, 2] as [Int64], shape: [2]))],
                to: url(compressed ? "arrays_compressed.npz" : "arrays_stored.npz"), compressed: compressed)
        }
        var dense = floats(20)
        for index in dense.indices where index % 3 != 0 { dense[index] = 0 }
        try SparseCSR(dense: dense, rows: 4, columns: 5).write(to: url("csr.npz"))
        try SparseCSR(dense: [], rows: 0, columns: 3).write(to: url("csr_empty.npz"), compressed: false)
    }
}
