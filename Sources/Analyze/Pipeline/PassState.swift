/// Everything the pass has accumulated over a run of whole batches: the metric accumulators, how much of the
/// activation database it wrote, and its counters. Saved in checkpoints and shard directories; the states of
/// consecutive runs of batches merge into the state of the whole.
struct PassState: Codable {
    var sparsity: SparsityAccumulator
    var reconstruction: ReconstructionAccumulator
    var downstream: DownstreamAccumulator
    /// Rows (tokens) and stored activations of the database so far.
    var rows = 0
    var nonzeros = 0
    /// Positions processed (rows plus those left out), and those left out as special tokens or high norms.
    var positions = 0
    var excludedSpecial = 0
    var excludedHighNorm = 0
    /// Kept positions of the ablation batches.
    var ablatedTokens = 0
    /// Seconds of the pass (calibration included), of its forwards to the hook, and of its ablation suffixes.
    var passSeconds = 0.0
    var forwardSeconds = 0.0
    var ablationSeconds = 0.0

    init(dSae: Int, trainingEverFired: [Bool]?, dIn: Int, vocabularySize: Int) {
        sparsity = SparsityAccumulator(dSae: dSae, trainingEverFired: trainingEverFired)
        reconstruction = ReconstructionAccumulator(dimension: dIn)
        downstream = DownstreamAccumulator(vocabularySize: vocabularySize)
    }

    /// The state of this run of batches followed by `other`'s.
    func merged(with other: PassState) -> PassState {
        var result = self
        result.sparsity = sparsity.merged(with: other.sparsity)
        result.reconstruction = reconstruction.merged(with: other.reconstruction)
        result.downstream = downstream.merged(with: other.downstream)
        result.rows += other.rows
        result.nonzeros += other.nonzeros
        result.positions += other.positions
        result.excludedSpecial += other.excludedSpecial
        result.excludedHighNorm += other.excludedHighNorm
        result.ablatedTokens += other.ablatedTokens
        result.passSeconds += other.passSeconds
        result.forwardSeconds += other.forwardSeconds
        result.ablationSeconds += other.ablationSeconds
        return result
    }
}
