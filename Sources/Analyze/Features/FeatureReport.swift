/// Everything the per-feature analysis found about one feature that fired.
public struct FeatureReport: Equatable, Sendable {
    public var feature: Int
    public var activationCount: Int
    /// `activationCount / n_tokens`.
    public var frequency: Double
    /// Mean over the tokens where the feature fired.
    public var meanActivation: Double
    public var maxActivation: Float
    /// Zero-centred moments over all tokens.
    public var moments: FeatureMoments
    /// Log-spaced histogram of the nonzero activations.
    public var histogram: Histogram
    /// The strongest activations, best first (ties in corpus order).
    public var topExamples: [FeatureExample]
    /// Random examples from equal-width activation intervals, lowest interval first.
    public var intervalExamples: [IntervalExamples]

    public struct IntervalExamples: Equatable, Sendable {
        public var lower: Double
        public var upper: Double
        /// Activations that fell in the interval.
        public var count: Int
        public var examples: [FeatureExample]
    }
}
