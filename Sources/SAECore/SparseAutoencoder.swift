import Formats
import Foundation

/// A sparse autoencoder's weights in Float32, row-major, in the seed's and SAELens's orientation, with every
/// load-time option already folded in, so that every format and architecture is
///
///     x'  = normalize(x)                (per token; identity unless `config.normalization.isPerToken`)
///     pre = (x' − b_dec·[appliesDecoderBiasToInput]) · W_enc (+ b_enc when `usesEncoderBias`)
///     f   = rule(pre)                   (ReLU, JumpReLU with `threshold`, or top-k; see `SAEEncoder`)
///     x̂   = denormalize(f · W_dec + b_dec)
///
/// Loaders transpose other layouts into this one and fold constant options (input scaling, decoder norms, gates).
public struct SparseAutoencoder: Sendable {
    /// The configuration as read (and what was folded).
    public var config: SAEConfig
    /// `W_enc`, `[d_in, d_sae]`.
    public var encoderWeight: [Float]
    /// `b_enc`, `[d_sae]` (all zeros when the architecture has none).
    public var encoderBias: [Float]
    /// `W_dec`, `[d_sae, d_in]`.
    public var decoderWeight: [Float]
    /// `b_dec`, `[d_in]`.
    public var decoderBias: [Float]
    /// JumpReLU per-feature thresholds, `[d_sae]`; nil for other architectures.
    public var threshold: [Float]?
    /// The seed's training-time `ever_fired` buffer, when the state dict has one.
    public var everFired: [Bool]?
    /// SAELens `sparsity.safetensors`: log10 of each feature's training-time firing density, when present.
    public var logFeatureDensity: [Float]?
    /// The seed's `history.json`, when present.
    public var history: TrainingHistory?
    /// The directory the SAE was read from.
    public var directory: URL?

    /// Checks every shape against `config` and every value for NaN/Inf (`source` names the weights file in errors).
    public init(
        config: SAEConfig, encoderWeight: [Float], encoderBias: [Float]?, decoderWeight: [Float], decoderBias: [Float],
        threshold: [Float]? = nil, everFired: [Bool]? = nil, history: TrainingHistory? = nil,
        directory: URL? = nil, source: String? = nil
    ) throws {
        let d = config.dIn, m = config.dSae
        func check(_ name: String, _ values: [Float], _ count: Int, _ shape: String) throws {
            guard values.count == count else {
                throw InputError("\(name) has \(values.count) values, expected \(shape) = \(count) for d_in \(d), d_sae \(m)", path: source)
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw InputError("\(name) holds a non-finite value (\(values[bad])) at flat index \(bad)", path: source)
            }
        }
        try check("W_enc", encoderWeight, d * m, "[\(d), \(m)]")
        try check("W_dec", decoderWeight, m * d, "[\(m), \(d)]")
        try check("b_dec", decoderBias, d, "[\(d)]")
        if let encoderBias { try check("b_enc", encoderBias, m, "[\(m)]") }
        if let threshold { try check("threshold", threshold, m, "[\(m)]") }
        if config.architecture == .jumpReLU || config.architecture == .gated, threshold == nil {
            throw InputError("a \(config.architecture.rawValue) SAE needs a threshold tensor", path: source)
        }
        if let everFired, everFired.count != m {
            throw InputError("ever_fired has \(everFired.count) values, expected d_sae = \(m)", path: source)
        }
        self.config = config
        self.encoderWeight = encoderWeight
        self.encoderBias = config.usesEncoderBias ? (encoderBias ?? [Float](repeating: 0, count: m)) : [Float](repeating: 0, count: m)
        self.decoderWeight = decoderWeight
        self.decoderBias = decoderBias
        self.threshold = threshold
        self.everFired = everFired
        self.history = history
        self.directory = directory
    }

    /// `d_in`.
    public var dIn: Int { config.dIn }
    /// `d_sae`.
    public var dSae: Int { config.dSae }

    /// The L2 norm of each decoder row, `[d_sae]`.
    public var decoderNorms: [Float] {
        let d = config.dIn
        return decoderWeight.withUnsafeBufferPointer { w in
            (0..<config.dSae).map { i in
                var sum: Float = 0
                for j in 0..<d { sum += w[i * d + j] * w[i * d + j] }
                return sum.squareRoot()
            }
        }
    }
}

// MARK: - Folding load-time options into the weights

extension SparseAutoencoder {
    /// Folds an input scaling `x ↦ s·x` (output divided by `s`): `W_enc *= s`, `b_dec /= s`, `W_dec /= s`.
    mutating func foldInputScaling(_ s: Float) {
        for i in encoderWeight.indices { encoderWeight[i] *= s }
        for i in decoderWeight.indices { decoderWeight[i] /= s }
        for i in decoderBias.indices { decoderBias[i] /= s }
    }

    /// Folds SAELens `rescale_acts_by_decoder_norm` (`pre_i *= n_i` on encode, `f_i /= n_i` on decode):
    /// column `i` of `W_enc` and `b_enc_i` times `n_i`, row `i` of `W_dec` divided by `n_i`.
    mutating func foldDecoderNorms() {
        let norms = decoderNorms
        scaleFeatures(encoderBy: norms, decoderBy: norms.map { $0 > 0 ? 1 / $0 : 0 })
    }

    /// Folds a legacy per-feature `scaling_factor` (`f_i` multiplied by `c_i` before decoding) into `W_dec`.
    mutating func foldFeatureScaling(_ factors: [Float]) {
        scaleFeatures(encoderBy: nil, decoderBy: factors)
    }

    private mutating func scaleFeatures(encoderBy encoderScale: [Float]?, decoderBy decoderScale: [Float]) {
        let d = config.dIn, m = config.dSae
        if let encoderScale {
            for row in 0..<d { for i in 0..<m { encoderWeight[row * m + i] *= encoderScale[i] } }
            for i in 0..<m { encoderBias[i] *= encoderScale[i] }
        }
        for i in 0..<m { for j in 0..<d { decoderWeight[i * d + j] *= decoderScale[i] } }
    }
}
