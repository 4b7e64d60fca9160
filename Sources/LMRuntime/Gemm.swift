import COpenBLAS

/// output[m, n] = input[m, k] · weightᵀ (+ output when `accumulate`), where `weight` is `[n, k]` row-major,
/// a PyTorch `Linear` weight. `inputStride`/`outputStride` are the row strides (default: dense rows).
@inline(__always)
func linear(
    _ input: UnsafePointer<Float>, rows m: Int, dIn k: Int, inputStride: Int? = nil,
    weight: UnsafePointer<Float>, outputWidth n: Int,
    into output: UnsafeMutablePointer<Float>, outputStride: Int? = nil
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
        1, input, Int32(inputStride ?? k), weight, Int32(k), 0, output, Int32(outputStride ?? n))
}

/// output[m, n] = alpha · a[m, k] · b[k, n] or, with `transposeB`, alpha · a[m, k] · b[n, k]ᵀ; all row-major
/// with the given row strides.
@inline(__always)
func matrixProduct(
    _ a: UnsafePointer<Float>, strideA: Int, _ b: UnsafePointer<Float>, strideB: Int, transposeB: Bool,
    into output: UnsafeMutablePointer<Float>, strideOutput: Int, m: Int, n: Int, k: Int, alpha: Float = 1
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(strideA), b, Int32(strideB), 0, output, Int32(strideOutput))
}
