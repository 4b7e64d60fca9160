import Foundation

/// Rotary position embedding tables and their application, in Hugging Face's `rotate_half` convention:
/// dimension i < headDim/2 is paired with i + headDim/2 (not with its neighbour), and for position p
/// `x'[i] = x[i]·cos(p·f_i) − x[i+h]·sin(p·f_i)`, `x'[i+h] = x[i+h]·cos(p·f_i) + x[i]·sin(p·f_i)`, `f_i = θ^(−2i/headDim)`.
struct RotaryEmbedding {
    let headDim: Int
    let theta: Double
    /// cos(p·f_i) and sin(p·f_i) for p in 0..<positions, i in 0..<headDim/2, row-major.
    private(set) var cosines: [Float] = []
    private(set) var sines: [Float] = []
    private(set) var positions = 0

    init(headDim: Int, theta: Double, positions: Int) {
        self.headDim = headDim
        self.theta = theta
        reserve(positions: positions)
    }

    /// Extends the tables to cover `count` positions.
    mutating func reserve(positions count: Int) {
        guard count > positions else { return }
        let half = headDim / 2
        // Computed in Float like transformers (inv_freq and p·inv_freq are float32 tensors there), so the angles
        // match to the last bit; only cos/sin of the float32 angle are taken in double.
        let inverseFrequencies = (0..<half).map { i in
            1 / Float(pow(theta, Double(Float(2 * i) / Float(headDim))))
        }
        cosines = []
        sines = []
        cosines.reserveCapacity(count * half)
        sines.reserveCapacity(count * half)
        for position in 0..<count {
            for frequency in inverseFrequencies {
                let angle = Double(Float(position) * frequency)
                cosines.append(Float(cos(angle)))
                sines.append(Float(sin(angle)))
            }
        }
        positions = count
    }

    /// Rotates one head vector (`headDim` values) in place for `position`.
    @inline(__always)
    func apply(_ vector: UnsafeMutablePointer<Float>, position: Int) {
        let half = headDim / 2
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                let c = cosines.baseAddress! + position * half
                let s = sines.baseAddress! + position * half
                for i in 0..<half {
                    let low = vector[i], high = vector[i + half]
                    vector[i] = low * c[i] - high * s[i]
                    vector[i + half] = high * c[i] + low * s[i]
                }
            }
        }
    }
}
