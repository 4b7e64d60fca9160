@testable import Formats
import Foundation
@testable import SiteGen
import Testing

/// The dense d_sae × d_sae matrices, read through a memory map: sub-matrices cut out of the mapped file, and every
/// file that is not a float32 C-order little-endian [n, n] array refused with one InputError naming it.
@Suite struct SquareMatrixTests {
    /// A `.npy` v1.0 file with this header dict and payload, written as numpy would lay it out.
    static func npy(header dict: String, payload: Data, to url: URL) throws {
        var header = dict
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        bytes.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        bytes.append(contentsOf: header.utf8)
        bytes.append(payload)
        try bytes.write(to: url)
    }

    static func floats(_ values: [Float], bigEndian: Bool = false) -> Data {
        Data(
            values.flatMap { value -> [UInt8] in
                let bits = bigEndian ? value.bitPattern.bigEndian : value.bitPattern.littleEndian
                return withUnsafeBytes(of: bits) { Array($0) }
            })
    }

    /// Entry (i, j) = i + j / 1000, so any mix-up of rows, columns or offsets shows.
    static func value(_ i: Int, _ j: Int) -> Float { Float(i) + Float(j) / 1000 }

    @Test func subMatricesOfAMappedMatrix() throws {
        let directory = Fixtures.scratch()
        // 300 × 300 float32: rows span pages (1200 bytes each), so sub-matrices touch many of them.
        let n = 300
        let url = directory.appendingPathComponent("m.npy")
        try NPY.write((0..<(n * n)).map { Self.value($0 / n, $0 % n) }, shape: [n, n], to: url)
        let matrix = try SquareMatrix(url: url, dSae: n)
        #expect(matrix.n == n)

        let ids = [7, 0, 299, 150, 7]  // any order, repeats allowed
        let expected = ids.flatMap { row in ids.map { Self.value(row, $0) } }
        #expect(matrix.submatrix(ids) == expected)
        // Pages released after the first cut are read back for the next one.
        #expect(matrix.submatrix(ids) == expected)
        var generator = SystemRandomNumberGenerator()
        let many = (0..<120).map { _ in Int.random(in: 0..<n, using: &generator) }
        #expect(matrix.submatrix(many) == many.flatMap { row in many.map { Self.value(row, $0) } })
        #expect(matrix.submatrix([]) == [])

        // A v2.0 header (numpy writes one when the v1.0 length field would overflow) is read the same way.
        let v2 = directory.appendingPathComponent("v2.npy")
        var bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        bytes.replaceSubrange(6..<10, with: [2, 0, UInt8((headerLength + 2) & 0xFF), UInt8((headerLength + 2) >> 8), 0, 0])
        bytes.insert(contentsOf: [0x20, 0x20], at: 12 + headerLength - 1)  // two more spaces before the newline
        try bytes.write(to: v2)
        #expect(try SquareMatrix(url: v2, dSae: n).submatrix(ids) == expected)
    }

    @Test func badMatricesAreInputErrorsNamingTheFile() throws {
        let directory = Fixtures.scratch()
        func refused(_ name: String, dSae: Int = 2, _ write: (URL) throws -> Void) throws -> String {
            let url = directory.appendingPathComponent(name)
            try write(url)
            do {
                _ = try SquareMatrix(url: url, dSae: dSae)
                Issue.record("\(name) was accepted")
                return ""
            } catch let error as InputError {
                #expect(error.path == url.path, "\(name)")
                #expect(!error.description.contains("\n"), "\(name)")
                return error.message
            }
        }
        let four = Self.floats([1, 2, 3, 4])
        #expect(
            try refused("wrong-shape.npy") { try NPY.write([Float](repeating: 0, count: 6), shape: [2, 3], to: $0) }
                == "expected a float32 [2, 2] matrix, found <f4 [2, 3]")
        #expect(
            try refused("wrong-n.npy", dSae: 3) { try NPY.write([Float](repeating: 0, count: 4), shape: [2, 2], to: $0) }
                == "expected a float32 [3, 3] matrix, found <f4 [2, 2]")
        #expect(
            try refused("float64.npy") { try NPY.write([Double](repeating: 0, count: 4), shape: [2, 2], to: $0) }
                == "expected a float32 [2, 2] matrix, found <f8 [2, 2]")
        #expect(
            try refused("fortran.npy") {
                try Self.npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: four, to: $0)
            }.contains("Fortran order"))
        #expect(
            try refused("big-endian.npy") {
                try Self.npy(
                    header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }",
                    payload: Self.floats([1, 2, 3, 4], bigEndian: true), to: $0)
            }.contains("big-endian"))
        #expect(
            try refused("truncated.npy") {
                try Self.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: four.prefix(12), to: $0)
            } == ".npy data is 12 bytes but shape [2, 2] of <f4 needs 16")
        #expect(try refused("empty.npy") { try Data().write(to: $0) }.hasPrefix("not a .npy file"))
        #expect(try refused("text.npy") { try Data("[[1, 2], [3, 4]]".utf8).write(to: $0) }.hasPrefix("not a .npy file"))
        #expect(try refused("missing.npy") { _ in }.hasPrefix("cannot read .npy file"))

        // The well-formed 2 × 2 file is read, as a check that the hand-written header above is right.
        let good = directory.appendingPathComponent("good.npy")
        try Self.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: four, to: good)
        #expect(try SquareMatrix(url: good, dSae: 2).submatrix([1, 0]) == [4, 3, 2, 1])
    }
}
