import Foundation
import LMRuntime
import SAECore

/// What a sample of the corpus decides before the pass: the global top-k threshold (`--topk-mode threshold`) and
/// the per-dimension mean activation μ (mean ablation). The sample is the same evenly spaced batches in every run,
/// shard and resumed run with the same settings, so they all encode with the same threshold.
struct Calibration: Codable, Equatable {
    /// nil unless the SAE is encoded with a calibrated threshold.
    var threshold: Float?
    /// μ over the sample (empty when no calibration ran).
    var mean: [Float]
    /// Tokens in the sample.
    var tokens: Int

    static let none = Calibration(threshold: nil, mean: [], tokens: 0)

    /// Whether a run with these options needs a calibration sample at all.
    static func isNeeded(options: AnalysisOptions, topKMode: TopKMode?) -> Bool {
        topKMode == .threshold || options.pass.ablation == .mean || options.pass.ablation == .both
    }

    /// Runs the model to the hook on the sample batches `sample`; the captures of the batches in `keep` are handed
    /// to `reuse` so the pass does not run them again.
    static func run(
        inputs: AnalysisInputs, batches: CorpusBatches, sample: [Int], keep: Range<Int>,
        reuse: (Int, HookCapture) -> Void, progress: (Int) -> Void
    ) throws -> (Calibration, forwardSeconds: Double) {
        var calibrator = inputs.topKMode == .threshold ? try ThresholdCalibrator(sae: inputs.sae) : nil
        var mean = ActivationMean(dimension: inputs.model.width(of: inputs.hook))
        var forwardSeconds = 0.0
        for index in sample {
            let start = Date()
            let capture = try inputs.model.forward(batches.batches[index], stopAt: inputs.hook)
            forwardSeconds += Date().timeIntervalSince(start)
            if keep.contains(index) { reuse(index, capture) }
            let x = inputs.view.activations(capture.activations)
            calibrator?.add(x.values, rows: x.rows)
            mean.add(x.values, rows: x.rows)
            progress(mean.count)
        }
        let calibration = Calibration(threshold: calibrator?.threshold(), mean: mean.mean, tokens: mean.count)
        return (calibration, forwardSeconds)
    }
}
