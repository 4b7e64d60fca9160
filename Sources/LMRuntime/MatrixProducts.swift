/// The matrix products of the layers above the runtime (SAE encode and decode, logit effects, decoder similarity,
/// compare's matching, the feature map's projection): the public entry points of the matrix backend
/// (MatrixBackend.swift), so every GEMM in the program runs on the backend's kernels and thread settings.
public enum MatrixProducts {
    /// output[m, n] = input[m, k] · weightᵀ, where `weight` is `[n, k]` (or only its rows `weightRows`), in the
    /// weight's own storage: the backend's `linear` (bf16 weights stay bf16, the input rows rounded to bf16 for
    /// them; fp32 weights are one sgemm). Strides are row strides (default: dense rows).
    public static func linear(
        _ input: UnsafePointer<Float>, rows m: Int, dIn k: Int, inputStride: Int? = nil,
        weight: WeightMatrix, weightRows: Range<Int>? = nil,
        into output: UnsafeMutablePointer<Float>, outputStride: Int? = nil
    ) {
        LMRuntime.linear(
            input, rows: m, dIn: k, inputStride: inputStride, weight: weight, weightRows: weightRows,
            into: output, outputStride: outputStride)
    }

    /// c[m, n] = alpha · A · B + beta · c, fp32, row-major. A is `a` `[m, k]`, or `a` `[k, m]` transposed when
    /// `transposeA`; B is `b` `[k, n]`, or `b` `[n, k]` transposed when `transposeB`. Strides are row strides of the
    /// matrices as stored (default: dense rows). With `beta` 0, `c` is only written.
    public static func multiply(
        _ a: UnsafePointer<Float>, transposeA: Bool = false, strideA: Int? = nil,
        _ b: UnsafePointer<Float>, transposeB: Bool = false, strideB: Int? = nil,
        into c: UnsafeMutablePointer<Float>, strideC: Int? = nil,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        let lda = strideA ?? (transposeA ? m : k), ldb = strideB ?? (transposeB ? k : n), ldc = strideC ?? n
        guard k > 0 else {  // an empty sum (BLAS rejects a zero leading dimension)
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : beta * c[row * ldc + column] } }
            return
        }
        // With beta in the call, sgemm adds each partial sum into c, so seeded outputs (the SAE's b_enc and b_dec)
        // round as sgemm rounds them.
        matrixProduct(
            a, strideA: lda, transposeA: transposeA, b, strideB: ldb, transposeB: transposeB, into: c, strideOutput: ldc,
            m: m, n: n, k: k, alpha: alpha, beta: beta)
    }
}
