import CBF16Gemm
import COpenBLAS
import Foundation
import Parallelism

/// The kernels behind every product with a `WeightMatrix`: OpenBLAS sgemm for fp32 weights; for bf16 weights the
/// AVX-512 BF16 kernel (Sources/CBF16Gemm) where the CPU has it, else the portable path (bf16 blocks widened to fp32,
/// then sgemm). Both round the input rows to bf16 first, so both compute the same exact products, summed in fp32 in
/// different orders. `SAE_REPORT_BF16_KERNEL=portable` forces the portable path (e.g. to test it on an AVX-512 CPU).
///
/// Measured (scripts/bench/gemm-kernels.sh, docs/bf16.md): on Qwen3-0.6B's shapes the kernel runs at 1.6–2.4×
/// OpenBLAS's AVX-512 sgemm, and oneDNN 2.6's bf16 matmul up to 1.5× faster still on most shapes; ours needs no new
/// dependency and uses the weights in place in PyTorch's `[out, in]` layout.
public enum BF16Kernel: String, Sendable, CaseIterable {
    case avx512 = "AVX-512 BF16"
    case portable = "portable (bf16 widened to fp32, OpenBLAS sgemm)"

    /// The kernel this process uses: `avx512` when the CPU and OS support it, unless the environment forces `portable`.
    public static let current: BF16Kernel = {
        if ProcessInfo.processInfo.environment["SAE_REPORT_BF16_KERNEL"] == "portable" { return .portable }
        return isSupported ? .avx512 : .portable
    }()

    /// Whether this CPU (and OS) run the AVX-512 BF16 kernel.
    public static var isSupported: Bool { sae_bf16_kernel_supported() != 0 }
}

/// output[m, n] = input[m, k] · weightᵀ, where `weight` is `[n, k]` (a PyTorch `Linear` weight), or only its rows
/// `weightRows` (then n is their count). `inputStride` and `outputStride` are the row strides (default: dense
/// rows). Threads: `Parallelism.workerCount` (and OpenBLAS's setting, `BLAS.configure`, for sgemm).
func linear(
    _ input: UnsafePointer<Float>, rows m: Int, dIn k: Int, inputStride: Int? = nil,
    weight: WeightMatrix, weightRows: Range<Int>? = nil, into output: UnsafeMutablePointer<Float>, outputStride: Int? = nil,
    kernel: BF16Kernel = .current
) {
    precondition(weight.columns == k, "a [\(weight.rows), \(weight.columns)] weight applied to \(k)-wide rows")
    let selected = weightRows ?? 0..<weight.rows
    let n = selected.count, lda = inputStride ?? k, ldc = outputStride ?? n
    guard m > 0, n > 0 else { return }
    switch weight.storage {
    case .f32(let values):
        values.withUnsafeBufferPointer { values in
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                1, input, Int32(lda), values.baseAddress! + selected.lowerBound * k, Int32(k), 0, output, Int32(ldc))
        }
    case .bf16:
        let weight = weightRows.map { weight.rows($0) } ?? weight
        let rounded = UnsafeMutablePointer<UInt16>.allocate(capacity: m * k)
        defer { rounded.deallocate() }
        Parallelism.forEachRange(m) { rows in
            for row in rows {
                if kernel == .avx512 {
                    sae_f32_to_bf16_avx512(input + row * lda, rounded + row * k, k)
                } else {
                    sae_f32_to_bf16(input + row * lda, rounded + row * k, k)
                }
            }
        }
        switch kernel {
        case .avx512: bf16Product(rounded, rows: m, k: k, weight: weight, into: output, ldc: ldc)
        case .portable: widenedProduct(rounded, rows: m, k: k, weight: weight, into: output, ldc: ldc)
        }
    }
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

/// output[m, n] = alpha · a[m, k] · b[k, n] or, with `transposeB`, alpha · a[m, k] · b[n, k]ᵀ; all fp32 row-major
/// with the given row strides (attention's products of activations with activations).
@inline(__always)
func matrixProduct(
    _ a: UnsafePointer<Float>, strideA: Int, _ b: UnsafePointer<Float>, strideB: Int, transposeB: Bool,
    into output: UnsafeMutablePointer<Float>, strideOutput: Int, m: Int, n: Int, k: Int, alpha: Float = 1
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(strideA), b, Int32(strideB), 0, output, Int32(strideOutput))
}
