/// How an SAE normalises its input activations (SAELens `normalize_activations`, plus the equivalents of the other
/// formats). `expected_average_only_in` is one constant factor, folded into the weights on load; the per-token ones
/// are applied by `SparseAutoencoder.preActivations` and undone by `decode(_:denormalizing:)`.
public enum SAENormalization: String, Codable, Sendable, CaseIterable {
    case none
    /// `x·s` with one dataset-wide factor `s` (folded: `W_enc·s`, `W_dec/s`, `b_dec/s`).
    case expectedAverageOnlyIn = "expected_average_only_in"
    /// Per token `x·sqrt(d_in)/‖x‖`; the output is divided by the same factor.
    case constantNormRescale = "constant_norm_rescale"
    /// Per token `(x − μ)/(σ + 1e-5)` with the unbiased σ (torch's `std`); the output is `x̂·σ + μ`.
    /// SAELens `layer_norm` and the OpenAI TopK SAEs' input LN are the same function.
    case layerNorm = "layer_norm"

    /// Whether every token is normalised with its own statistics (then decoding needs the inputs).
    public var isPerToken: Bool { self == .constantNormRescale || self == .layerNorm }

    static let layerNormEpsilon = 1e-5

    /// One token's normalisation: `(x − shift)·inputScale` on the way in, `y·outputScale + shift` on the way out
    /// (not quite inverses for `layerNorm`, whose input divides by σ + ε but whose output multiplies by σ).
    struct RowTransform {
        var shift: Float
        var inputScale: Float
        var outputScale: Float
        static let identity = RowTransform(shift: 0, inputScale: 1, outputScale: 1)
    }

    /// The transform of the row `x[0 ..< count]` (statistics in Double: d_in is large and the fixtures check 1e-5).
    func transform(of x: UnsafePointer<Float>, count: Int) -> RowTransform {
        switch self {
        case .none, .expectedAverageOnlyIn:
            return .identity
        case .constantNormRescale:
            var sum = 0.0
            for j in 0..<count { sum += Double(x[j]) * Double(x[j]) }
            let factor = Double(count).squareRoot() / sum.squareRoot()
            return RowTransform(shift: 0, inputScale: Float(factor), outputScale: Float(1 / factor))
        case .layerNorm:
            var sum = 0.0
            for j in 0..<count { sum += Double(x[j]) }
            let mean = sum / Double(count)
            var squares = 0.0
            for j in 0..<count { squares += (Double(x[j]) - mean) * (Double(x[j]) - mean) }
            let std = (squares / Double(max(1, count - 1))).squareRoot()
            return RowTransform(shift: Float(mean), inputScale: Float(1 / (std + Self.layerNormEpsilon)), outputScale: Float(std))
        }
    }
}
