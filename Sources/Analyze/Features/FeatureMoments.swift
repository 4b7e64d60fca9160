/// A feature's activation moments over every token, zeros included and centred at zero, as OpenAI's sae-viewer
/// reports them: density `E[a>0]`, mean `E[a]`, `E[a²]`, skew `E[a³]/E[a²]^1.5` and kurtosis `E[a⁴]/E[a²]²`.
/// Centring at zero (not the mean) keeps them computable from one streamed pass of power sums.
public struct FeatureMoments: Equatable, Sendable {
    public var density: Double
    public var mean: Double
    public var meanSquare: Double
    /// nil when `E[a²] = 0` (the feature never fired).
    public var skew: Double?
    public var kurtosis: Double?

    public init(tokens: Int, active: Int, sum: Double, squareSum: Double, cubeSum: Double, fourthPowerSum: Double) {
        let n = Double(max(tokens, 1))
        density = Double(active) / n
        mean = sum / n
        meanSquare = squareSum / n
        if meanSquare > 0 {
            skew = (cubeSum / n) / (meanSquare * meanSquare.squareRoot())
            kurtosis = (fourthPowerSum / n) / (meanSquare * meanSquare)
        }
    }
}
