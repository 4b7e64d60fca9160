/// When the feature map's SGD samples each edge of the fuzzy graph (umap-learn's `make_epochs_per_sample` and the
/// schedule of `optimize_layout_euclidean`): an edge of weight w is sampled every `heaviest / w` epochs and followed
/// by a negative sample every `1 / negativeSampleRate` of that; the learning rate falls linearly from 1 to 0 over
/// `epochs`. The one-thread loop (`FeatureMap.optimize`) and the parallel one (`ParallelLayoutSGD`) share it.
struct LayoutSchedule {
    let epochs: Int
    /// Per edge; -1 for an edge too light to be sampled once in `epochs` (dropped, as umap-learn does).
    let epochsPerSample: [Float]
    /// Per edge: `epochsPerSample / negativeSampleRate`.
    let epochsPerNegativeSample: [Float]

    /// `weights` must not be empty.
    init(weights: [Float], epochs: Int, negativeSampleRate: Int) {
        self.epochs = epochs
        let heaviest = weights.max()!
        epochsPerSample = weights.map { $0 >= heaviest / Float(epochs) ? heaviest / $0 : -1 }
        let rate = Float(negativeSampleRate)
        epochsPerNegativeSample = epochsPerSample.map { $0 / rate }
    }

    /// The learning rate of `epoch` (0-based).
    func learningRate(atEpoch epoch: Int) -> Float { 1 - Float(epoch) / Float(epochs) }

    /// How many negative samples an edge sampled at epoch `now` takes, its next negative sample being due at
    /// `nextNegativeSample`.
    @inline(__always)
    static func negativeSampleCount(now: Float, nextNegativeSample: Float, epochsPerNegativeSample: Float) -> Int {
        max(Int((now - nextNegativeSample) / epochsPerNegativeSample), 0)
    }
}
