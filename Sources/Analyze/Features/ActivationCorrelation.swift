/// Pearson correlation of two features' activations over every token (zeros included), from streamed sums:
/// `r = (n·Σxy − Σx·Σy) / √((n·Σx² − (Σx)²)(n·Σy² − (Σy)²))`, the formula of sae_vis's `RollingCorrCoef`.
/// `Σx` and `Σx²` come from `FeatureStatistics`, `Σxy` from `CooccurrenceCounts`' product sums, so no dense
/// `n_tokens × d_sae` matrix is ever formed. Features that never fired together have `Σxy = 0` and so `r ≤ 0`.
public enum ActivationCorrelation {
    /// nil when either feature has zero variance over the tokens (it never fired, or fired equally on every token).
    public static func pearson(
        tokens: Int, sumX: Double, squareSumX: Double, sumY: Double, squareSumY: Double, productSum: Double
    ) -> Double? {
        let n = Double(tokens)
        let varianceX = n * squareSumX - sumX * sumX, varianceY = n * squareSumY - sumY * sumY
        guard varianceX > 0, varianceY > 0 else { return nil }
        let r = (n * productSum - sumX * sumY) / (varianceX * varianceY).squareRoot()
        return min(max(r, -1), 1)
    }
}
