import CBF16Gemm
import COpenBLAS
import Analyze
import Foundation
import Parallelism
@testable import LMRuntime
import Testing

/// The matrix backend's products against fp32 sgemm and a Double reference: fp32 weights with every fp32 kernel
/// (OpenBLAS, oneDNN, OpenBLAS on column blocks), bf16 weights with every bf16 kernel this CPU runs (oneDNN and AVX-512 BF16 only where it has
/// AVX-512 BF16), random shapes including odd sizes, strided rows, stacked row blocks and row ranges.
@Suite struct MatrixBackendTests {
    /// (m, k, n): tails in every dimension of the 4 × 6 tile and the 32-wide k step, one-row and one-column edges,
    /// and n ≥ 128, which `openblasColumns` splits into column blocks (80 + 67 columns on two workers).
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (3, 5, 7), (4, 32, 6), (17, 33, 13), (5, 64, 49), (33, 100, 50), (64, 257, 97), (2, 1030, 3), (9, 40, 147),
    ]

    static var kernels: [BF16Kernel] { BF16Kernel.available }

    /// Every pairing of a bf16 kernel with an fp32 kernel, each of both in at least one.
    static var kernelPairs: [(BF16Kernel, FP32Kernel)] {
        let bf16 = kernels, fp32 = FP32Kernel.allCases
        return (0..<max(bf16.count, fp32.count)).map { (bf16[$0 % bf16.count], fp32[$0 % fp32.count]) }
    }

    struct Case {
        let m: Int, k: Int, n: Int
        let input: [Float], weight: [Float]
        init(_ shape: (Int, Int, Int), seed: UInt64) {
            (m, k, n) = shape
            var generator = SplitMix64(seed: seed)
            input = (0..<(m * k)).map { _ in Float(generator.uniform() * 4 - 2) }
            // Weights exactly representable in bf16, as a bf16 checkpoint's are.
            weight = (0..<(n * k)).map { _ in roundedToBF16(Float(generator.uniform() - 0.5) * 0.2) }
        }
    }

    @Test(arguments: kernels)
    func bf16ProductsEqualTheExactProductsOfTheRoundedInputSummedInFP32(kernel: BF16Kernel) {
        for (index, shape) in Self.shapes.enumerated() {
            let c = Case(shape, seed: UInt64(index))
            let weight = WeightMatrix(rows: c.n, columns: c.k, roundingToBF16: c.weight)
            var output = [Float](repeating: .nan, count: c.m * c.n)
            c.input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    linear(input.baseAddress!, rows: c.m, dIn: c.k, weight: weight, into: output.baseAddress!, kernel: kernel)
                }
            }
            let rounded = c.input.map(roundedToBF16)
            for i in 0..<c.m {
                for j in 0..<c.n {
                    var exact = 0.0, magnitude = 0.0
                    for l in 0..<c.k {
                        let product = Double(rounded[i * c.k + l]) * Double(c.weight[j * c.k + l])
                        exact += product
                        magnitude += abs(product)
                    }
                    // fp32 summation of k exact products: |error| ≤ k · 2⁻²⁴ · Σ|products| (a kernel bug is far larger).
                    let bound = Double(c.k) * 0x1p-24 * magnitude + 1e-30
                    #expect(abs(Double(output[i * c.n + j]) - exact) <= bound, "\(kernel) \(shape) [\(i), \(j)]")
                }
            }
            // Against fp32 sgemm on the unrounded input: only the input's bf16 rounding (≤ 2⁻⁹ relative) differs.
            let reference = sgemm(c.input, c.weight, m: c.m, k: c.k, n: c.n)
            for index in output.indices {
                let (i, j) = (index / c.n, index % c.n)
                var magnitude: Float = 0
                for l in 0..<c.k { magnitude += abs(c.input[i * c.k + l] * c.weight[j * c.k + l]) }
                #expect(abs(output[index] - reference[index]) <= 0x1p-8 * magnitude + 1e-30, "\(kernel) \(shape) vs sgemm")
            }
        }
    }

    @Test(arguments: kernelPairs)
    func stackedBlocksRowRangesAndStridesAddressTheRightValues(kernel: BF16Kernel, fp32Kernel: FP32Kernel) {
        // q | k | v style: three blocks of odd heights, used whole and through a row range crossing block edges.
        let k = 37, m = 9, heights = [13, 7, 11], inputStride = 41, outputStride = 50
        var generator = SplitMix64(seed: 99)
        let blocks = heights.map { rows in (0..<(rows * k)).map { _ in roundedToBF16(Float(generator.uniform() - 0.5)) } }
        let input = (0..<(m * inputStride)).map { _ in roundedToBF16(Float(generator.uniform() * 2 - 1)) }
        let stackedBF16 = WeightMatrix.stacking(heights.indices.map { WeightMatrix(rows: heights[$0], columns: k, roundingToBF16: blocks[$0]) })
        let stackedF32 = WeightMatrix.stacking(heights.indices.map { WeightMatrix(rows: heights[$0], columns: k, values: blocks[$0]) })
        #expect(stackedBF16.floatValues == blocks.flatMap { $0 })
        for range in [0..<31, 10..<25, 20..<21] {
            func product(_ weight: WeightMatrix, _ kernel: BF16Kernel) -> [Float] {
                var output = [Float](repeating: -7, count: m * outputStride)
                input.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { output in
                        linear(
                            input.baseAddress!, rows: m, dIn: k, inputStride: inputStride, weight: weight, weightRows: range,
                            into: output.baseAddress!, outputStride: outputStride, kernel: kernel, fp32Kernel: fp32Kernel)
                    }
                }
                return output
            }
            let bf16 = product(stackedBF16, kernel), f32 = product(stackedF32, kernel)
            for i in 0..<m {
                for j in 0..<outputStride {
                    let index = i * outputStride + j
                    if j < range.count {
                        // Inputs and weights are bf16 values, so both are the same exact products summed in fp32.
                        #expect(abs(bf16[index] - f32[index]) <= 1e-5 * max(1, abs(f32[index])), "\(kernel) \(fp32Kernel) \(range) [\(i), \(j)]")
                    } else {
                        #expect(bf16[index] == -7 && f32[index] == -7, "wrote past the output row at [\(i), \(j)]")
                    }
                }
            }
        }
        // Rows as copied one by one (the embedding lookup), across block edges.
        var row = [Float](repeating: 0, count: k)
        for index in [0, 12, 13, 19, 20, 30] {
            row.withUnsafeMutableBufferPointer { stackedBF16.copyRow(index, into: $0.baseAddress!) }
            #expect(row == Array(blocks.flatMap { $0 }[(index * k)..<((index + 1) * k)]))
        }
    }

    @Test(arguments: FP32Kernel.allCases)
    func fp32ProductsAreWithinFP32SummationErrorOfTheExactProducts(kernel: FP32Kernel) {
        for (index, shape) in Self.shapes.enumerated() {
            let c = Case(shape, seed: UInt64(100 + index))
            // Strided input and output rows and a row range of a taller weight, as attention's and the head's calls.
            let inputStride = c.k + 3, outputStride = c.n + 2, extraRows = 2
            var input = [Float](repeating: .nan, count: c.m * inputStride)
            for i in 0..<c.m { for l in 0..<c.k { input[i * inputStride + l] = c.input[i * c.k + l] } }
            let padding = [Float](repeating: .nan, count: extraRows * c.k)
            let weight = WeightMatrix(rows: c.n + 2 * extraRows, columns: c.k, values: padding + c.weight + padding)
            var output = [Float](repeating: -7, count: c.m * outputStride)
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    linear(
                        input.baseAddress!, rows: c.m, dIn: c.k, inputStride: inputStride, weight: weight,
                        weightRows: extraRows..<(extraRows + c.n), into: output.baseAddress!, outputStride: outputStride,
                        fp32Kernel: kernel)
                }
            }
            for i in 0..<c.m {
                for j in 0..<outputStride {
                    guard j < c.n else {
                        #expect(output[i * outputStride + j] == -7, "\(kernel) wrote past row \(i)")
                        continue
                    }
                    var exact = 0.0, magnitude = 0.0
                    for l in 0..<c.k {
                        let product = Double(c.input[i * c.k + l]) * Double(c.weight[j * c.k + l])
                        exact += product
                        magnitude += abs(product)
                    }
                    // Each product rounded once (or fused) and k fp32 additions: ≤ (k + 1) · 2⁻²⁴ · Σ|products|.
                    let bound = Double(c.k + 1) * 0x1p-24 * magnitude + 1e-30
                    #expect(abs(Double(output[i * outputStride + j]) - exact) <= bound, "\(kernel) \(shape) [\(i), \(j)]")
                }
            }
        }
    }

    /// oneDNN's products come from primitives cached per shape and streams per thread: many threads at once, with
    /// shapes created concurrently, give the same bits as one thread alone.
    /// The column blocks cover the columns in order, on 16-column boundaries, at least 64 wide, one per core at most.
    @Test func columnBlocksTileTheColumns() {
        for n in [1, 63, 64, 127, 128, 129, 768, 1000, 1024, 2304, 151_936] {
            let blocks = columnBlocks(n)
            #expect(blocks.first?.lowerBound == 0 && blocks.last?.upperBound == n, "n \(n)")
            #expect(zip(blocks, blocks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && $1.lowerBound % 16 == 0 })
            #expect(blocks.count == 1 || blocks.allSatisfy { $0.count >= 48 }, "n \(n): \(blocks)")
            #expect(blocks.count <= max(1, ProcessInfo.processInfo.activeProcessorCount))
        }
    }

    /// Whether the blocks run on the workers or one after another (inside a single-threaded section), the sums are
    /// the same: the result does not depend on what else the program is running.
    @Test func productsInASingleThreadedSectionEqualTheParallelOnes() {
        let c = Case((200, 96, 1030), seed: 77)
        let dtypes = BF16Kernel.available.contains(.onednn) ? [false, true] : [false]
        for bf16 in dtypes {
            for fp32Kernel in [FP32Kernel.onednn, .openblasColumns] {
                let weight =
                    bf16
                    ? WeightMatrix(rows: c.n, columns: c.k, roundingToBF16: c.weight)
                    : WeightMatrix(rows: c.n, columns: c.k, values: c.weight)
                func run() -> [Float] {
                    var output = [Float](repeating: .nan, count: c.m * c.n)
                    c.input.withUnsafeBufferPointer { input in
                        output.withUnsafeMutableBufferPointer { output in
                            linear(
                                input.baseAddress!, rows: c.m, dIn: c.k, weight: weight, into: output.baseAddress!,
                                kernel: .onednn, fp32Kernel: fp32Kernel)
                        }
                    }
                    return output
                }
                let parallel = run()
                #expect(parallel == BLAS.singleThreaded { run() }, "bf16 \(bf16), \(fp32Kernel)")
                #expect(!parallel.contains { $0.isNaN })
            }
        }
    }

    @Test func oneDNNProductsFromManyThreadsAtOnceEqualSerialOnes() {
        // The last shape is large enough for oneDNN's brgemm kernels to need a scratchpad: in the library's default
        // mode one shared scratchpad corrupted products run concurrently (seen in the model parity tests).
        let shapes = [(7, 33, 13), (64, 100, 50), (3, 5, 7), (17, 257, 31), (130, 1030, 200)]
        let cases = shapes.enumerated().map { Case($1, seed: UInt64(200 + $0)) }
        func run(_ c: Case, bf16: Bool) -> [Float] {
            let weight =
                bf16
                ? WeightMatrix(rows: c.n, columns: c.k, roundingToBF16: c.weight)
                : WeightMatrix(rows: c.n, columns: c.k, values: c.weight)
            var output = [Float](repeating: .nan, count: c.m * c.n)
            c.input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    linear(input.baseAddress!, rows: c.m, dIn: c.k, weight: weight, into: output.baseAddress!, kernel: .onednn, fp32Kernel: .onednn)
                }
            }
            return output
        }
        let dtypes = BF16Kernel.available.contains(.onednn) ? [false, true] : [false]
        let jobs = (0..<30).map { (cases[$0 % cases.count], dtypes[($0 / cases.count) % dtypes.count]) }
        let concurrent = Locked([[Float]](repeating: [], count: jobs.count))
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let result = run(jobs[index].0, bf16: jobs[index].1)
            concurrent.withLock { $0[index] = result }
        }
        let results = concurrent.withLock { $0 }
        for (index, job) in jobs.enumerated() {
            #expect(results[index] == run(job.0, bf16: job.1), "job \(index)")
            #expect(!results[index].contains { $0.isNaN })
        }
    }

    @Test func bf16RoundingIsToNearestEvenInBothConverters() {
        // 1 + 2⁻⁸ is halfway between bf16 neighbours 1 and 1 + 2⁻⁷: ties go to the even one (1); just above goes up.
        let values: [Float] = [1 + 0x1p-8, 1 + 0x1p-8 + 0x1p-20, 1 + 3 * 0x1p-8, -2.5e-3, 3.0e38, .infinity, 0, -0.0, 1e-40]
        let expected: [Float] = [1, 1 + 0x1p-7, 1 + 0x1p-6, roundedToBF16(-2.5e-3), roundedToBF16(3.0e38), .infinity, 0, -0.0, roundedToBF16(1e-40)]
        #expect(values.map(roundedToBF16) == expected)
        #expect(roundedToBF16(1 + 0x1p-8) == 1)
        if BF16Kernel.isSupported {
            var portable = [UInt16](repeating: 0, count: 40), vectorized = [UInt16](repeating: 1, count: 40)
            let many = (0..<40).map { Float($0) * 1.2345e-2 - 0.2 }
            sae_f32_to_bf16(many, &portable, 40)
            sae_f32_to_bf16_avx512(many, &vectorized, 40)
            #expect(portable == vectorized)
        }
    }
}

/// `value` rounded to the nearest bf16 (ties to even), by the portable converter.
func roundedToBF16(_ value: Float) -> Float {
    var bits: UInt16 = 0
    var widened: Float = 0
    withUnsafePointer(to: value) { sae_f32_to_bf16($0, &bits, 1) }
    sae_bf16_to_f32(&bits, &widened, 1)
    return widened
}

/// c = a · wᵀ by OpenBLAS in fp32.
func sgemm(_ a: [Float], _ w: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), w, Int32(k), 0, &c, Int32(n))
    return c
}

extension SplitMix64 {
    /// A double uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
}
