import Foundation

/// Rotary position embedding tables and their application, in Hugging Face's `rotate_half` convention on the first
/// `dimensions` values of a head (all of them, or GPT-NeoX's `rotary_pct` share; the rest pass through): value
/// i < h = dimensions/2 is paired with i + h, and for position p `x'[i] = x[i]·cos(p·f_i) − x[i+h]·sin(p·f_i)`,
/// `x'[i+h] = x[i+h]·cos(p·f_i) + x[i]·sin(p·f_i)`, `f_i = θ^(−2i/dimensions)` (rescaled by llama3 or linear scaling).
struct RotaryEmbedding {
    let dimensions: Int
    let inverseFrequencies: [Float]
    /// cos(p·f_i) and sin(p·f_i) for p in 0..<positions, i in 0..<dimensions/2, row-major.
    private(set) var cosines: [Float] = []
    private(set) var sines: [Float] = []
    private(set) var positions = 0

    init(dimensions: Int, theta: Double, scaling: DecoderSpec.RopeScaling?, positions: Int) {
        self.dimensions = dimensions
        // In Float like transformers (inv_freq and p·inv_freq are float32 tensors there), so the angles match to the
        // last bit; only cos/sin of the float32 angle are taken in double.
        var frequencies = (0..<(dimensions / 2)).map { i in
            1 / Float(pow(theta, Double(Float(2 * i) / Float(dimensions))))
        }
        switch scaling {
        case .llama3(let factor, let low, let high, let context)?:
            frequencies = frequencies.map { Self.llama3($0, factor: Float(factor), low: Float(low), high: Float(high), context: Float(context)) }
        case .linear(let factor)?:
            frequencies = frequencies.map { $0 / Float(factor) }
        case nil:
            break
        }
        inverseFrequencies = frequencies
        reserve(positions: positions)
    }

    /// transformers' `_compute_llama3_parameters`: long wavelengths divided by `factor`, short ones kept, a smooth
    /// blend between.
    private static func llama3(_ frequency: Float, factor: Float, low: Float, high: Float, context: Float) -> Float {
        let wavelength = Float(2 * Double.pi) / frequency
        if wavelength < context / high { return frequency }
        if wavelength > context / low { return frequency / factor }
        let smooth = (context / wavelength - low) / (high - low)
        return (1 - smooth) * frequency / factor + smooth * frequency
    }

    /// Extends the tables to cover `count` positions.
    mutating func reserve(positions count: Int) {
        guard count > positions else { return }
        let half = dimensions / 2
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

    /// Rotates one head vector in place for `position`.
    @inline(__always)
    func apply(_ vector: UnsafeMutablePointer<Float>, position: Int) {
        let half = dimensions / 2
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
