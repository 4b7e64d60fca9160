import Foundation

/// How a pair's co-firing count becomes a similarity, with the seed's formulas (seed inventory §2.6). With `N`
/// tokens, `cᵢ` firings of feature i, `Jᵢⱼ` joint firings, `pᵢ = cᵢ/N`, `σᵢ = sqrt(max(pᵢ(1−pᵢ), 1e-12))`:
public enum CooccurrenceMeasure: String, Codable, Sendable, CaseIterable {
    /// Phi coefficient of the binary firing indicators: `(Jᵢⱼ/N − pᵢpⱼ) / (σᵢσⱼ + 1e-8)` (the seed's
    /// "correlation"). Never-firing features get 0 off the diagonal.
    case phi
    /// `Jᵢⱼ / (cᵢ + cⱼ − Jᵢⱼ)`, 0 where the union is empty.
    case jaccard
    /// `log(max(Jᵢⱼ/N / (pᵢpⱼ + 1e-12), 1e-12))`; pairs that never co-fire get log(1e-12) ≈ −27.6.
    case pmi

    public func value(joint: Double, countI: Double, countJ: Double, tokens: Double) -> Double {
        switch self {
        case .phi:
            let pi = countI / tokens, pj = countJ / tokens
            let sigmaI = max(pi * (1 - pi), 1e-12).squareRoot(), sigmaJ = max(pj * (1 - pj), 1e-12).squareRoot()
            return (joint / tokens - pi * pj) / (sigmaI * sigmaJ + 1e-8)
        case .jaccard:
            let union = countI + countJ - joint
            return union > 0 ? joint / union : 0
        case .pmi:
            let pi = countI / tokens, pj = countJ / tokens
            return log(max(joint / tokens / (pi * pj + 1e-12), 1e-12))
        }
    }
}
