import CVectorMath
import Foundation
import Testing

/// Every instruction set's copy of the C row kernels (AVX-512F, AVX2 + FMA, portable: all that this CPU runs) against
/// the same sums in Double, on lengths that leave every kind of tail, with values where softmax rows and SiLU gates
/// live and into e^x's clamps.
@Suite struct RowKernelTests {
    static var sets: [SAEVectorKernels] {
        var count: Int32 = 0
        let pointers = sae_vm_available(&count)!
        return (0..<Int(count)).map { pointers[$0]!.pointee }
    }

    static let lengths = [0, 1, 7, 8, 15, 16, 17, 31, 1003, 4101]

    static func values(_ count: Int, seed: UInt64, scale: Float = 12) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func relative(_ ours: Float, _ exact: Double, atol: Double = 1e-30) -> Double {
        exact.isInfinite ? (Double(ours) == exact ? 0 : .infinity) : abs(Double(ours) - exact) / (abs(exact) + atol)
    }

    @Test func theWidestSetIsTheOneInUse() {
        let sets = Self.sets
        #expect(sets.last.map { String(cString: $0.isa) } == "portable")
        #expect(String(cString: sae_vm_isa()) == String(cString: sets[0].isa))
    }

    @Test func softmaxReductionsMatchDouble() {
        for set in Self.sets {
            let isa = String(cString: set.isa)
            for count in Self.lengths {
                let x = Self.values(count, seed: UInt64(count) + 1)
                let shift = x.max() ?? 0
                // e^ of the float argument the kernels form (rounding x − shift costs up to 6e-8·|x − shift| relative).
                let exact = x.map { Foundation.exp(Double($0 - shift)) }
                let largest = x.withUnsafeBufferPointer { set.max($0.baseAddress, count) }
                #expect(largest == (x.max() ?? -.infinity), "\(isa) max, \(count) values")

                let sum = x.withUnsafeBufferPointer { set.sum_exp($0.baseAddress, count, shift) }
                #expect(Self.relative(sum, exact.reduce(0, +)) < 2e-6, "\(isa) sum_exp, \(count) values")

                var out = [Float](repeating: .nan, count: count), weighted: Float = .nan
                let total = x.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { set.exp_weighted(x.baseAddress, count, shift, $0.baseAddress, &weighted) }
                }
                #expect(zip(out, exact).allSatisfy { Self.relative($0, $1) < 5e-7 }, "\(isa) exp_weighted values, \(count)")
                #expect(Self.relative(total, exact.reduce(0, +)) < 2e-6, "\(isa) exp_weighted sum, \(count)")
                let exactWeighted = zip(exact, x).reduce(0.0) { $0 + $1.0 * Double($1.1) }
                #expect(abs(Double(weighted) - exactWeighted) <= 2e-6 * exact.reduce(0, +) * 12, "\(isa) exp_weighted product, \(count)")

                var inPlace = x
                let inPlaceSum = inPlace.withUnsafeMutableBufferPointer { set.exponentiate($0.baseAddress, count, shift) }
                #expect(inPlace == out && inPlaceSum == total, "\(isa) exponentiate, \(count)")

                let z = Self.values(count, seed: 99), y = Self.values(count, seed: 7)
                let difference = out.withUnsafeBufferPointer { w in
                    z.withUnsafeBufferPointer { z in y.withUnsafeBufferPointer { set.weighted_difference(w.baseAddress, z.baseAddress, $0.baseAddress, count) }
                    }
                }
                let exactDifference = (0..<count).reduce(0.0) { $0 + Double(out[$1]) * (Double(z[$1]) - Double(y[$1])) }
                let magnitude = (0..<count).reduce(0.0) { $0 + abs(Double(out[$1])) * abs(Double(z[$1]) - Double(y[$1])) }
                #expect(abs(Double(difference) - exactDifference) <= 1e-6 * magnitude + 1e-30, "\(isa) weighted_difference, \(count)")
            }
        }
    }

    @Test func expClampsLikeSwiftsExp8() {
        for set in Self.sets {
            var x: [Float] = [0, -87.4, -100, -.infinity, 88.8, 100, .infinity, 1, -1] + Array(repeating: 0.5, count: 16)
            _ = x.withUnsafeMutableBufferPointer { set.exponentiate($0.baseAddress, $0.count, 0) }
            #expect(Array(x.prefix(7)) == [1, 0, 0, 0, .infinity, .infinity, .infinity], "\(String(cString: set.isa))")
        }
    }

    @Test func siluTimesUpMatchesDouble() {
        for set in Self.sets {
            for count in Self.lengths {
                let gate = Self.values(count, seed: UInt64(count) + 3, scale: 20), up = Self.values(count, seed: 5, scale: 3)
                var ours = gate
                ours.withUnsafeMutableBufferPointer { g in up.withUnsafeBufferPointer { set.silu_mul(g.baseAddress, $0.baseAddress, count) } }
                let exact = zip(gate, up).map { g, u in Double(g) / (1 + Foundation.exp(-Double(g))) * Double(u) }
                #expect(zip(ours, exact).allSatisfy { Self.relative($0, $1, atol: 1e-6) < 1e-6 }, "\(String(cString: set.isa)) silu_mul, \(count)")
            }
        }
    }

    /// Attention's kernels for one block of query rows against Double: the transposed keys, the scores in the causal
    /// band (row r sees keys j ≤ r + diagonal) and the weighted sum of values, on head widths and key counts that leave
    /// every kind of tail, with a block that starts on the diagonal and one far past it.
    @Test func attentionKernelsMatchDouble() {
        for set in Self.sets {
            for headDim in [1, 7, 16, 33, 64, 80, 128] {
                for (rows, diagonal) in [(1, 0), (13, 0), (9, 2), (20, 37), (64, 0)] {
                    Self.checkAttention(set, headDim: headDim, rows: rows, diagonal: diagonal)
                }
            }
        }
    }

    static func checkAttention(_ set: SAEVectorKernels, headDim: Int, rows: Int, diagonal: Int) {
        let label = "\(String(cString: set.isa)), head \(headDim), \(rows) rows, diagonal \(diagonal)"
        let keyCount = rows + diagonal, qStride = headDim + 3, kvStride = 2 * headDim + 5
        let queries = values(rows * qStride, seed: UInt64(headDim * 1000 + rows), scale: 1)
        let keys = values(keyCount * kvStride, seed: UInt64(headDim + rows + 17), scale: 1)
        let ktStride = (keyCount + 15) / 16 * 16 + 16
        var keysT = [Float](repeating: .nan, count: headDim * ktStride)
        keys.withUnsafeBufferPointer { k in
            keysT.withUnsafeMutableBufferPointer {
                set.transpose_keys(k.baseAddress, kvStride, keyCount, headDim, $0.baseAddress, ktStride, ktStride)
            }
        }
        var transposed = true
        for d in 0..<headDim {
            for j in 0..<ktStride where keysT[d * ktStride + j] != (j < keyCount ? keys[j * kvStride + d] : 0) { transposed = false }
        }
        #expect(transposed, "\(label): transpose")

        var scores = [Float](repeating: -1, count: rows * keyCount)
        queries.withUnsafeBufferPointer { q in
            keysT.withUnsafeBufferPointer { kt in
                scores.withUnsafeMutableBufferPointer {
                    set.attention_scores(
                        q.baseAddress, qStride, rows, kt.baseAddress, ktStride, headDim, keyCount, diagonal, 0.5,
                        $0.baseAddress, keyCount)
                }
            }
        }
        var worst = 0.0
        for r in 0..<rows {
            for j in 0...(r + diagonal) {
                var exact = 0.0, magnitude = 0.0
                for d in 0..<headDim {
                    let term = 0.5 * Double(queries[r * qStride + d]) * Double(keys[j * kvStride + d])
                    exact += term
                    magnitude += abs(term)
                }
                worst = max(worst, abs(Double(scores[r * keyCount + j]) - exact) / magnitude)
            }
        }
        #expect(worst < 1e-6, "\(label): scores \(worst)")

        // Weights: a causal row (zeros past the diagonal); values read in place with their stride.
        var weights = values(rows * keyCount, seed: 5, scale: 1).map { abs($0) }
        for r in 0..<rows {
            for j in 0..<keyCount where j > r + diagonal { weights[r * keyCount + j] = 0 }
        }
        let valueRows = Array(keys.dropFirst(headDim))
        let outStride = headDim + 2
        var out = [Float](repeating: .nan, count: rows * outStride)
        weights.withUnsafeBufferPointer { w in
            valueRows.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer {
                    set.attention_values(
                        w.baseAddress, keyCount, rows, keyCount, diagonal, v.baseAddress, kvStride, headDim, $0.baseAddress,
                        outStride)
                }
            }
        }
        worst = 0
        for r in 0..<rows {
            for d in 0..<headDim {
                var exact = 0.0, magnitude = 0.0
                for j in 0..<keyCount {
                    let term = Double(weights[r * keyCount + j]) * Double(valueRows[j * kvStride + d])
                    exact += term
                    magnitude += abs(term)
                }
                worst = max(worst, abs(Double(out[r * outStride + d]) - exact) / (magnitude + 1e-30))
            }
        }
        #expect(worst < 1e-6, "\(label): values \(worst)")
    }
}
