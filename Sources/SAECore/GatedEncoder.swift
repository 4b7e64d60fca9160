import Foundation

/// SAELens's gated encoder, `f = 1[x·W + b_gate > 0] · ReLU(x·W·exp(r_mag) + b_mag)` (x after normalisation and
/// `b_dec`), rewritten as the JumpReLU rule the encoder already runs, so gating costs no extra sgemm:
/// with `W' = W·exp(r_mag)` (per column) and `pre = x·W' + b_mag`, the gate `x·W + b_gate > 0` is
/// `pre > b_mag − b_gate·exp(r_mag)` because `exp(r_mag) > 0`.
struct GatedEncoder {
    /// `W_enc`, `[d_in, d_sae]`.
    var weight: [Float]
    var gateBias: [Float]
    var logMagnitudeScale: [Float]
    var magnitudeBias: [Float]

    /// `(W', b_mag, θ)` with `θ = b_mag − b_gate·exp(r_mag)`.
    func jumpReLUForm() -> (encoderWeight: [Float], encoderBias: [Float], threshold: [Float]) {
        let m = gateBias.count
        let scale = logMagnitudeScale.map { Float(exp(Double($0))) }
        var scaled = weight
        for row in 0..<(weight.count / max(1, m)) { for i in 0..<m { scaled[row * m + i] *= scale[i] } }
        let threshold = (0..<m).map { magnitudeBias[$0] - gateBias[$0] * scale[$0] }
        return (scaled, magnitudeBias, threshold)
    }
}
