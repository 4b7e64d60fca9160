import Analyze
import Foundation
import LMRuntime
import Testing

/// `MatrixProducts.multiply`, the backend's entry point for fp32 products of plain arrays, against a Double
/// reference: every combination of transposes, odd shapes, row strides wider than the rows, alpha, and beta
/// accumulating into the output.
@Suite struct MatrixProductsTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 7, 5), (17, 13, 33), (2, 3, 1030), (64, 2, 97)]

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func productsMatchADoubleReference(transposeA: Bool, transposeB: Bool) {
        var generator = SplitMix64(seed: 7)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.uniform() * 2 - 1) } }
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                // Stored shapes: A is [m, k] or [k, m]; B is [k, n] or [n, k]; each row padded by 3 unused values.
                let (aRows, aColumns) = transposeA ? (k, m) : (m, k), (bRows, bColumns) = transposeB ? (n, k) : (k, n)
                let strideA = aColumns + 3, strideB = bColumns + 3, strideC = n + 3
                let a = values(aRows * strideA), b = values(bRows * strideB), start = values(m * strideC)
                var c = start
                c.withUnsafeMutableBufferPointer { c in
                    MatrixProducts.multiply(
                        a, transposeA: transposeA, strideA: strideA, b, transposeB: transposeB, strideB: strideB,
                        into: c.baseAddress!, strideC: strideC, m: m, n: n, k: k, alpha: alpha, beta: beta)
                }
                for i in 0..<m {
                    for j in 0..<strideC {
                        let index = i * strideC + j
                        guard j < n else {
                            #expect(c[index] == start[index], "wrote past the output row")
                            continue
                        }
                        var exact = 0.0, magnitude = 0.0
                        for l in 0..<k {
                            let x = Double(transposeA ? a[l * strideA + i] : a[i * strideA + l])
                            let y = Double(transposeB ? b[j * strideB + l] : b[l * strideB + j])
                            exact += x * y
                            magnitude += abs(x * y)
                        }
                        let want = Double(alpha) * exact + Double(beta) * Double(start[index])
                        let bound = Double(k + 2) * 0x1p-23 * (abs(Double(alpha)) * magnitude + abs(Double(beta * start[index]))) + 1e-30
                        #expect(abs(Double(c[index]) - want) <= bound, "\((m, n, k)) α \(alpha) β \(beta) [\(i), \(j)]")
                    }
                }
            }
        }
    }

    @Test func anEmptySumLeavesBetaTimesTheOutput() {
        var c: [Float] = [1, 2, 3, 4]
        let none: [Float] = [0]
        c.withUnsafeMutableBufferPointer { c in
            MatrixProducts.multiply(none, none, into: c.baseAddress!, m: 2, n: 2, k: 0, beta: 0.5)
        }
        #expect(c == [0.5, 1, 1.5, 2])
        c.withUnsafeMutableBufferPointer { c in MatrixProducts.multiply(none, none, into: c.baseAddress!, m: 2, n: 2, k: 0) }
        #expect(c == [0, 0, 0, 0])
    }
}
