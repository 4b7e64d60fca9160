import Dispatch
import LMRuntime
import Parallelism

extension SparseAutoencoder {
    /// Above this fraction of nonzero codes, decoding densifies the codes and runs one sgemm; below it, it adds the
    /// decoder rows of each token's active features. scripts/bench/bench-sae.sh (d_in 1024, d_sae 4096, 2 cores) measured
    /// the sparse path 2–18× faster up to density 0.0625 (L0 256) and the dense one about 10 % faster at 0.125.
    public static let denseDecodeDensity = 0.1

    /// How `decode` computes the product.
    public enum DecodePath: Sendable {
        /// Dense when the codes' density is above `denseDecodeDensity`, else sparse.
        case automatic
        /// Add each active feature's decoder row.
        case sparse
        /// Densify the codes, then one sgemm.
        case dense
    }

    /// `x̂ = f · W_dec + b_dec` for every row of `codes`, row-major `[codes.rowCount, d_in]`, mapped back through the
    /// per-token input normalisation when the SAE has one: then `inputs` must be the activations that were encoded.
    public func decode(_ codes: SparseCodes, denormalizing inputs: [Float]? = nil, path: DecodePath = .automatic) -> [Float] {
        precondition(codes.dSae == dSae, "codes have \(codes.dSae) features, the SAE \(dSae)")
        var output: [Float]
        switch path {
        case .automatic: output = codes.density > Self.denseDecodeDensity ? decodeDense(codes) : decodeSparse(codes)
        case .sparse: output = decodeSparse(codes)
        case .dense: output = decodeDense(codes)
        }
        let normalization = config.normalization
        guard normalization.isPerToken else { return output }
        guard let inputs, inputs.count == output.count else {
            preconditionFailure("decoding a \(normalization.rawValue) SAE needs the \(codes.rowCount) encoded input rows")
        }
        let d = dIn, n = codes.rowCount
        let blockRows = max(1, n / (4 * Parallelism.workerCount))
        inputs.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { out in
                let out = out  // each block writes only its own rows
                Parallelism.forEach((n + blockRows - 1) / blockRows) { block in
                    for row in (block * blockRows)..<min(n, (block + 1) * blockRows) {
                        let t = normalization.transform(of: x.baseAddress! + row * d, count: d)
                        let target = out.baseAddress! + row * d
                        for j in 0..<d { target[j] = target[j] * t.outputScale + t.shift }
                    }
                }
            }
        }
        return output
    }

    /// Densify, then one sgemm seeded with `b_dec`.
    func decodeDense(_ codes: SparseCodes) -> [Float] {
        let n = codes.rowCount, d = dIn, m = dSae
        var output = [Float](repeating: 0, count: n * d)
        guard n > 0 else { return output }
        let dense = codes.dense()
        output.withUnsafeMutableBufferPointer { out in
            for row in 0..<n { out.baseAddress!.advanced(by: row * d).update(from: decoderBias, count: d) }
            MatrixProducts.multiply(dense, decoderWeight, into: out.baseAddress!, m: n, n: d, k: m, beta: 1)
        }
        return output
    }

    /// Row by row: `b_dec` plus `v · W_dec[i]` for each active feature `i`; rows in parallel blocks.
    func decodeSparse(_ codes: SparseCodes) -> [Float] {
        let n = codes.rowCount, d = dIn
        var output = [Float](repeating: 0, count: n * d)
        let blockRows = max(1, n / (4 * Parallelism.workerCount))
        let blocks = (n + blockRows - 1) / blockRows
        output.withUnsafeMutableBufferPointer { out in
            let out = out  // each block writes only its own rows
            decoderWeight.withUnsafeBufferPointer { w in
                decoderBias.withUnsafeBufferPointer { b in
                    Parallelism.forEach(blocks) { block in
                        for row in (block * blockRows)..<min(n, (block + 1) * blockRows) {
                            let target = out.baseAddress! + row * d
                            target.update(from: b.baseAddress!, count: d)
                            for index in codes.range(ofRow: row) {
                                addScaled(w.baseAddress! + Int(codes.features[index]) * d, codes.values[index], into: target, count: d)
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}

/// target += scale · source, eight lanes at a time.
@inline(__always)
private func addScaled(_ source: UnsafePointer<Float>, _ scale: Float, into target: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    let s = SIMD8<Float>(repeating: scale)
    while j + 8 <= count {
        let t = UnsafeMutableRawPointer(target + j)
        let v = t.loadUnaligned(as: SIMD8<Float>.self) + s * UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
        t.storeBytes(of: v, as: SIMD8<Float>.self)
        j += 8
    }
    while j < count {
        target[j] += scale * source[j]
        j += 1
    }
}
