import Foundation
import LMRuntime
import SAECore

/// What a sample of the corpus decides before the pass: the global top-k threshold (`--topk-mode threshold`), the
/// per-dimension mean activation μ (mean ablation) and the median hook-activation norm (`--ignore-high-norm`), each
/// over the sample's positions that the pass keeps (`PositionExclusion`). The sample is the same evenly spaced
/// batches in every run, shard and resumed run with the same settings, so they all encode with the same threshold.
struct Calibration: Codable, Equatable {
    /// nil unless the SAE is encoded with a calibrated threshold.
    var threshold: Float?
    /// μ over the sample (empty when no calibration ran).
    var mean: [Float]
    /// Tokens in the sample that the threshold and μ are computed over.
    var tokens: Int
    /// The median over the sample's non-special positions of ‖x‖ at the hook (nil without `--ignore-high-norm`).
    var medianNorm: Double?

    static let none = Calibration(threshold: nil, mean: [], tokens: 0)

    init(threshold: Float?, mean: [Float], tokens: Int, medianNorm: Double? = nil) {
        (self.threshold, self.mean, self.tokens, self.medianNorm) = (threshold, mean, tokens, medianNorm)
    }

    /// Whether a run with these options needs a calibration sample at all.
    static func isNeeded(options: AnalysisOptions, topKMode: TopKMode?) -> Bool {
        topKMode == .threshold || options.pass.ablation == .mean || options.pass.ablation == .both
            || options.pass.ignoreHighNorm != nil
    }

    /// The positions the pass leaves out, given this calibration's median norm.
    static func exclusion(options: AnalysisOptions, specialTokens: SpecialTokens, medianNorm: Double?) -> PositionExclusion {
        PositionExclusion(
            specialIDs: options.pass.keepSpecialTokens ? [] : specialTokens.ids,
            normLimit: options.pass.ignoreHighNorm.flatMap { factor in medianNorm.map { factor * $0 } })
    }

    /// Bytes of candidate codes kept for the pass (`CandidateCodes`); the sample's later batches past it are encoded
    /// again by the pass.
    static let candidateBudget = 256 << 20

    /// Runs the model to the hook on the sample batches `sample`; the captures of the batches in `keep` are handed
    /// to `reuse` so the pass does not run them again, with their codes when the threshold was calibrated here and
    /// their candidates hold them (then the pass does not encode them either).
    static func run(
        inputs: AnalysisInputs, options: AnalysisOptions, batches: CorpusBatches, sample: [Int], keep: Range<Int>,
        reuse: (Int, HookCapture, SparseCodes?) -> Void, progress: (Int) -> Void
    ) throws -> (Calibration, forwardSeconds: Double) {
        var calibrator = inputs.topKMode == .threshold ? try ThresholdCalibrator(sae: inputs.sae) : nil
        let width = inputs.model.width(of: inputs.hook)
        var mean = ActivationMean(dimension: width)
        var forwardSeconds = 0.0
        // The median norm needs the whole sample before any of it can be filtered by norm.
        var activations: [(index: Int, tokens: [Int32], x: [Float])] = []
        var captures: [(index: Int, capture: HookCapture)] = []
        var done = 0
        for index in sample {
            let start = Date()
            let batch = batches.batches[index]
            let capture = try inputs.model.forward(batch, stopAt: inputs.hook)
            forwardSeconds += Date().timeIntervalSince(start)
            if keep.contains(index) { captures.append((index, capture)) }
            activations.append((index, batch.tokens, inputs.view.activations(capture.activations).values))
            done += batch.tokenCount
            progress(done)
        }
        var medianNorm: Double?
        if options.pass.ignoreHighNorm != nil {
            let special = exclusion(options: options, specialTokens: inputs.specialTokens, medianNorm: nil)
            var norms: [Double] = []
            for (_, tokens, x) in activations {
                let included = special.mask(tokens: tokens, activations: x, width: width).included
                norms += tokens.indices.filter { included[$0] }.map { PositionExclusion.norm(x, row: $0, width: width) }
            }
            medianNorm = PositionExclusion.median(norms)
        }
        let exclusion = exclusion(options: options, specialTokens: inputs.specialTokens, medianNorm: medianNorm)
        // The kept batches' candidate codes: the pass's encoding would compute the same pre-activations (the same
        // rows, chunks and products), so their codes for the threshold need no second encoding.
        var candidates: [Int: CandidateCodes] = [:]
        var candidateBytes = 0
        for (index, tokens, x) in activations {
            let mask = exclusion.mask(tokens: tokens, activations: x, width: width)
            let kept = includedRows(x, width: width, included: mask.included)
            if calibrator != nil, keep.contains(index), candidateBytes < candidateBudget {
                let batchCandidates = calibrator!.addKeepingCandidates(kept, rows: mask.includedCount, floorFraction: 0.5)
                candidateBytes += batchCandidates.byteCount
                candidates[index] = batchCandidates
            } else {
                calibrator?.add(kept, rows: mask.includedCount)
            }
            mean.add(kept, rows: mask.includedCount)
        }
        let calibration = Calibration(
            threshold: calibrator?.threshold(), mean: mean.mean, tokens: mean.count, medianNorm: medianNorm)
        for (index, capture) in captures {
            reuse(index, capture, calibration.threshold.flatMap { candidates[index]?.codes(threshold: $0) })
        }
        return (calibration, forwardSeconds)
    }
}
