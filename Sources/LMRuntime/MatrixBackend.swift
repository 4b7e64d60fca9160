import CBF16Gemm
import CDNNL
import COpenBLAS
import Foundation
import Parallelism

/// The kernel behind products with bf16 `WeightMatrix`es: oneDNN's bf16 matmul or our AVX-512 BF16 kernel
/// (Sources/CBF16Gemm) where the CPU has AVX-512 BF16, else the portable path (bf16 blocks widened to fp32, then
/// sgemm). All round the input rows to bf16 first, so all compute the same exact products, summed in fp32 in
/// different orders. `SAE_REPORT_BF16_KERNEL=onednn|avx512|portable` selects one (e.g. to test each on one CPU).
///
/// Measured (docs/bf16.md): per product (scripts/bench/gemm-kernels.sh, one thread) oneDNN 2.6's bf16 matmul runs
/// at 157–213 GFLOP/s, ours at 134–193; end to end on an idle 2-core machine (scripts/bench/bench-bf16.sh 200) the
/// activation pass with oneDNN is 1.16× ours (896 vs 770 tokens/s), so oneDNN is the default where the CPU has
/// AVX-512 BF16. Both use the weights in place in PyTorch's `[out, in]` layout.
public enum BF16Kernel: String, Sendable, CaseIterable {
    case onednn = "oneDNN bf16 matmul"
    case avx512 = "AVX-512 BF16"
    case portable = "portable (bf16 widened to fp32, OpenBLAS sgemm)"

    /// The kernel this process uses: the environment's choice where this CPU runs it, else the measured default.
    public static let current: BF16Kernel = {
        environmentChoice("SAE_REPORT_BF16_KERNEL").flatMap { available.contains($0) ? $0 : nil } ?? available[0]
    }()

    /// The kernels this CPU runs, the default first. oneDNN's bf16 matmul is used only where the CPU multiplies bf16
    /// natively (elsewhere oneDNN emulates it or has no implementation).
    public static var available: [BF16Kernel] { isSupported ? [.onednn, .avx512, .portable] : [.portable] }

    /// Whether this CPU (and OS) run AVX-512 BF16 code.
    public static var isSupported: Bool { sae_bf16_kernel_supported() != 0 }
}

/// The kernel behind products with fp32 `WeightMatrix`es: OpenBLAS sgemm or oneDNN's fp32 matmul (which picks its
/// own ISA, so `OPENBLAS_CORETYPE` does not affect it). `SAE_REPORT_FP32_KERNEL=openblas|onednn|openblasColumns` selects one.
///
/// Measured (docs/bf16.md): per product oneDNN 2.6's fp32 matmul runs at 85–108 GFLOP/s, 1.03–1.44× OpenBLAS
/// 0.3.21's sgemm with its default (Cooperlake) kernels and 0.97–1.31× sgemm pinned to Haswell; end to end on an idle
/// 2-core machine it is 1.05× (activation pass), 1.07× (default analysis) and 1.0–1.14× (GPT-2, Gemma-2 forwards),
/// so it is the default.
public enum FP32Kernel: String, Sendable, CaseIterable {
    case openblas = "OpenBLAS sgemm"
    /// oneDNN's matmul, one single-threaded product per worker over its block of output columns.
    case onednn = "oneDNN fp32 matmul"
    /// OpenBLAS's single-threaded sgemm run on each worker over its own block of output columns (weight rows), so
    /// the workers share nothing and never wait on each other, instead of OpenBLAS's own threads.
    case openblasColumns = "OpenBLAS sgemm on column blocks"

    /// The kernel this process uses: the environment's choice, else the measured default.
    public static let current: FP32Kernel = {
        environmentChoice("SAE_REPORT_FP32_KERNEL") ?? .onednn
    }()
}

/// The case of `Kernel` named (as in Swift) by environment variable `variable`, or nil when it is unset or names none.
private func environmentChoice<Kernel: CaseIterable>(_ variable: String) -> Kernel? {
    ProcessInfo.processInfo.environment[variable].flatMap { name in Kernel.allCases.first { String(describing: $0) == name } }
}

/// output[m, n] = input[m, k] · weightᵀ, where `weight` is `[n, k]` (a PyTorch `Linear` weight), or only its rows
/// `weightRows` (then n is their count). `inputStride` and `outputStride` are the row strides (default: dense
/// rows). Threads: `Parallelism.workerCount` (OpenBLAS sgemm: its own threads, `BLAS.configure`; oneDNN and
/// `openblasColumns`: one product per worker over its block of columns, `forEachColumnBlock`).
func linear(
    _ input: UnsafePointer<Float>, rows m: Int, dIn k: Int, inputStride: Int? = nil,
    weight: WeightMatrix, weightRows: Range<Int>? = nil, into output: UnsafeMutablePointer<Float>, outputStride: Int? = nil,
    kernel: BF16Kernel = .current, fp32Kernel: FP32Kernel = .current
) {
    precondition(weight.columns == k, "a [\(weight.rows), \(weight.columns)] weight applied to \(k)-wide rows")
    let selected = weightRows ?? 0..<weight.rows
    let n = selected.count, lda = inputStride ?? k, ldc = outputStride ?? n
    guard m > 0, n > 0 else { return }
    switch weight.storage {
    case .f32(let values):
        values.withUnsafeBufferPointer { values in
            let weights = values.baseAddress! + selected.lowerBound * k
            switch fp32Kernel {
            case .openblas:
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, input, Int32(lda), weights, Int32(k), 0, output, Int32(ldc))
            case .onednn:
                forEachColumnBlock(n, work: m * n * k) { columns in
                    oneDNNProduct(
                        bf16: false, input, lda: lda, weights + columns.lowerBound * k, ldw: k, into: output + columns.lowerBound,
                        ldc: ldc, m: m, n: columns.count, k: k)
                }
            case .openblasColumns:
                matrixProduct(
                    input, strideA: lda, weights, strideB: k, transposeB: true, into: output, strideOutput: ldc, m: m, n: n,
                    k: k)
            }
        }
    case .bf16:
        let weight = weightRows.map { weight.rows($0) } ?? weight
        let rounded = UnsafeMutablePointer<UInt16>.allocate(capacity: m * k)
        defer { rounded.deallocate() }
        Parallelism.forEachRange(m) { rows in
            for row in rows {
                if kernel != .portable {
                    sae_f32_to_bf16_avx512(input + row * lda, rounded + row * k, k)
                } else {
                    sae_f32_to_bf16(input + row * lda, rounded + row * k, k)
                }
            }
        }
        switch kernel {
        case .onednn:
            withExtendedLifetime(weight) {
                for (first, block) in weight.bf16Blocks {
                    forEachColumnBlock(block.rows, work: m * block.rows * k) { columns in
                        oneDNNProduct(
                            bf16: true, rounded, lda: k, block.values + columns.lowerBound * k, ldw: k,
                            into: output + first + columns.lowerBound, ldc: ldc, m: m, n: columns.count, k: k)
                    }
                }
            }
        case .avx512: bf16Product(rounded, rows: m, k: k, weight: weight, into: output, ldc: ldc)
        case .portable: widenedProduct(rounded, rows: m, k: k, weight: weight, into: output, ldc: ldc)
        }
    }
}

/// Runs `product` over output columns `0..<n` in the blocks `columnBlocks(n)` gives, each single-threaded, the blocks
/// spread over the workers so that no thread waits on another (run one after another inside a `BLAS.singleThreaded`
/// section, whose callers spread products over their own threads, or when `work`, m·n·k, is small).
///
/// oneDNN runs this way too: on its own OpenMP threads, the idle workers spin after every product and take the core
/// from the program's own parallel loops in between (measured idle, 2 cores: 4–9 % slower end to end, docs/bf16.md).
private func forEachColumnBlock(_ n: Int, work: Int, _ product: (Range<Int>) -> Void) {
    let blocks = columnBlocks(n)
    // Small products (a few µs, e.g. a tiny model's) are not worth waking a worker for.
    if BLAS.liveThreads.sections > 0 || Parallelism.workerCount == 1 || work < 1 << 21 {
        for block in blocks { product(block) }
        return
    }
    BLAS.singleThreaded { Parallelism.forEach(blocks.count) { product(blocks[$0]) } }
}

/// One block per core of this machine (about equal widths, multiples of 16 columns, at least 64 each): a function of
/// `n` and the machine alone, not of `--threads` or of what else is running, so that a product's sums are the same
/// whichever threads, and how many, run it. (Narrower blocks, e.g. 8 of 128 columns on 2 cores, lost the gain.)
func columnBlocks(_ n: Int) -> [Range<Int>] {
    let count = min(processorCount, n / 64)
    guard count > 1 else { return [0..<n] }
    let units = (n + 15) / 16
    return (0..<count).map { min(n, units * $0 / count * 16)..<min(n, units * ($0 + 1) / count * 16) }
}

private let processorCount = ProcessInfo.processInfo.activeProcessorCount

/// oneDNN's matmul (Sources/CDNNL: primitives cached per shape) on the calling thread: `forEachColumnBlock` spreads
/// the blocks over the workers, so no OpenMP team ever starts.
private func oneDNNProduct(
    bf16: Bool, _ input: UnsafeRawPointer, lda: Int, _ weights: UnsafeRawPointer, ldw: Int,
    into output: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int
) {
    let status = sae_dnnl_linear(bf16 ? 1 : 0, input, lda, weights, ldw, output, ldc, m, n, k, 1)
    precondition(status == 0, "oneDNN matmul (\(bf16 ? "bf16" : "fp32"), \(m) × \(k) × \(n)) failed with status \(status)")
}

/// The oneDNN implementation (e.g. "brg:avx512_core_bf16") a product of this dtype and size runs on here, for
/// the program's kernel report (single-threaded, as `forEachColumnBlock` runs it).
public func oneDNNImplementation(bf16: Bool, m: Int = 512, n: Int = 1024, k: Int = 1024) -> String {
    sae_dnnl_implementation(bf16 ? 1 : 0, m, n, k, 1).map { String(cString: $0) } ?? "none"
}

/// The AVX-512 BF16 kernel over strips of weight rows, `Parallelism.workerCount` strips at a time. A strip
/// (`stripRows · k` bf16) stays in L2 while all input rows pass it.
private func bf16Product(
    _ input: UnsafePointer<UInt16>, rows m: Int, k: Int, weight: WeightMatrix,
    into output: UnsafeMutablePointer<Float>, ldc: Int
) {
    let stripRows = 48  // a multiple of the kernel's 6-row tile
    var strips: [(firstRow: Int, rows: Int, values: UnsafePointer<UInt16>)] = []
    for (first, block) in weight.bf16Blocks {
        for start in stride(from: 0, to: block.rows, by: stripRows) {
            strips.append((first + start, min(stripRows, block.rows - start), block.values + start * k))
        }
    }
    withExtendedLifetime(weight) {
        Parallelism.forEach(strips.count) { index in
            let strip = strips[index]
            sae_bf16_gemm_nt(input, k, strip.values, k, output + strip.firstRow, ldc, m, strip.rows, k)
        }
    }
}

/// The portable path: the rounded input widened back to fp32, and blocks of weight rows widened to fp32 one at a
/// time (a bounded scratch, never the whole matrix), each multiplied by sgemm.
private func widenedProduct(
    _ input: UnsafePointer<UInt16>, rows m: Int, k: Int, weight: WeightMatrix,
    into output: UnsafeMutablePointer<Float>, ldc: Int
) {
    let widenedInput = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
    defer { widenedInput.deallocate() }
    sae_bf16_to_f32(input, widenedInput, m * k)
    let blockRows = max(1, min(weight.rows, (1 << 20) / k))  // about 4 MB of fp32 weights per product
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * k)
    defer { scratch.deallocate() }
    withExtendedLifetime(weight) {
        for (first, block) in weight.bf16Blocks {
            for start in stride(from: 0, to: block.rows, by: blockRows) {
                let rows = min(blockRows, block.rows - start)
                Parallelism.forEachRange(rows) { part in
                    sae_bf16_to_f32(
                        block.values + (start + part.lowerBound) * k, scratch + part.lowerBound * k, part.count * k)
                }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(rows), Int32(k),
                    1, widenedInput, Int32(k), scratch, Int32(k), 0, output + first + start, Int32(ldc))
            }
        }
    }
}

/// output[m, n] = alpha · A · B + beta · output, fp32 row-major with the given row strides (`MatrixProducts.multiply`):
/// A is `a[m, k]`, or `a[k, m]` transposed with `transposeA`; B is `b[k, n]`, or `b[n, k]` transposed with
/// `transposeB`. With `beta` 0, `output` is only written. Single-threaded sgemms over the column blocks of
/// `forEachColumnBlock`, on the program's workers: OpenBLAS's own threads would spin after each product, taking cores
/// from the next stage's loops.
func matrixProduct(
    _ a: UnsafePointer<Float>, strideA: Int, transposeA: Bool = false, _ b: UnsafePointer<Float>, strideB: Int,
    transposeB: Bool, into output: UnsafeMutablePointer<Float>, strideOutput: Int, m: Int, n: Int, k: Int,
    alpha: Float = 1, beta: Float = 0
) {
    forEachColumnBlock(n, work: m * n * k) { columns in
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m),
            Int32(columns.count), Int32(k), alpha, a, Int32(strideA),
            b + (transposeB ? columns.lowerBound * strideB : columns.lowerBound), Int32(strideB), beta,
            output + columns.lowerBound, Int32(strideOutput))
    }
}
