import Foundation

/// Streaming next-token metrics: cross-entropy of the clean, SAE-spliced, zero- and mean-ablated runs as
/// token-weighted means over next-token targets, KL(p_clean ‖ p_patched) per position (every position, targets or
/// not), loss recovered, ΔCE, the seed's "mean of per-batch mean CE", and their standard errors. It takes per-token
/// losses (`TokenLosses`, from the model's fused LM head). The seed's batches are given per position
/// (`TokenLosses.seedBatch`, as the pipeline does: 4 texts each), or else each `add` is one, and a batch may arrive in
/// several chunks of positions: pass `endsBatch: false` for all but its last chunk.
///
/// Positions that `TokenLosses.included` leaves out (special tokens, high norms) are in neither variant. "Without
/// first token" also drops the predictions made *at* the first position of a text (the spliced run still patches
/// every kept position; only the averaging changes).
public struct DownstreamAccumulator: Codable, Sendable {
    public let vocabularySize: Int
    private var stats = ByFirstToken(allTokens: DownstreamStats(), withoutFirstToken: DownstreamStats())

    public init(vocabularySize: Int) {
        precondition(vocabularySize > 0)
        self.vocabularySize = vocabularySize
    }

    /// Adds a chunk of positions; `endsBatch` closes the current seed batch (for the seed's per-batch means).
    public mutating func add(_ losses: TokenLosses, endsBatch: Bool = true) {
        precondition(losses.isFirst.count == losses.targets.count, "one isFirst flag per position")
        let variants = rowsByVariant(isFirst: losses.isFirst, included: losses.included)
        stats.allTokens.add(losses, rows: variants.allTokens, isFirst: losses.isFirst)
        stats.withoutFirstToken.add(losses, rows: variants.withoutFirstToken, isFirst: losses.isFirst)
        if endsBatch {
            stats.allTokens.finishBatch()
            stats.withoutFirstToken.finishBatch()
        }
    }

    /// The statistics of this accumulator's data and `other`'s together (a batch left open by either is closed).
    public func merged(with other: DownstreamAccumulator) -> DownstreamAccumulator {
        precondition(other.vocabularySize == vocabularySize)
        var result = self.finished, other = other.finished
        result.stats.allTokens.merge(other.stats.allTokens)
        result.stats.withoutFirstToken.merge(other.stats.withoutFirstToken)
        return result
    }

    /// This accumulator with its open batch closed.
    private var finished: DownstreamAccumulator {
        var copy = self
        copy.stats.allTokens.finishBatch()
        copy.stats.withoutFirstToken.finishBatch()
        return copy
    }

    /// The metrics so far (an open batch counts as finished).
    public var result: DownstreamResult {
        let stats = finished.stats
        let metrics = stats.map { $0.metrics() }
        var notes: [String] = []
        if stats.allTokens.zeroRows > 0, stats.allTokens.uniformZeroRows == stats.allTokens.zeroRows {
            let uniform = log(Double(vocabularySize))
            notes.append(
                "zero ablation is degenerate: every zero-ablated logit row is constant (a bias-free model maps a "
                    + "zero residual to zero logits), so its CE is ln(vocab) = \(uniform) and loss recovered against "
                    + "it measures the distance from a uniform guess; see ΔCE, KL and the mean-ablation baseline")
        }
        for (variant, value) in [("all tokens", metrics.allTokens), ("without first token", metrics.withoutFirstToken)] {
            if let zero = value.ceZeroAblated, zero <= value.ceBaseline ?? .infinity {
                notes.append("\(variant): zero-ablation CE (\(zero)) is not above the baseline CE; loss recovered (zero) is undefined")
            }
            if let mean = value.ceMeanAblated, mean <= value.ceBaseline ?? .infinity {
                notes.append("\(variant): mean-ablation CE (\(mean)) is not above the baseline CE; loss recovered (mean) is undefined")
            }
        }
        return DownstreamResult(
            metrics: metrics,
            zeroAblationDegenerate: stats.allTokens.zeroRows > 0
                && stats.allTokens.uniformZeroRows == stats.allTokens.zeroRows, notes: notes)
    }
}

/// Downstream metrics of one token variant (CE in nats, token-weighted over next-token targets).
public struct DownstreamMetrics: Codable, Equatable, Sendable {
    /// Positions with a next-token target (CE), and all positions (KL).
    public var nTargets: Int, nPositions: Int
    public var ceBaseline: Double?, ceSpliced: Double?, ceZeroAblated: Double?, ceMeanAblated: Double?
    /// CE_spliced − CE_baseline ("delta LM loss").
    public var deltaCE: Double?
    /// (CE_ablated − CE_spliced) / (CE_ablated − CE_baseline), against zero and mean ablation (nil when the
    /// denominator is not positive).
    public var lossRecoveredZero: Double?, lossRecoveredMean: Double?
    /// mean over positions of KL(p_clean ‖ p_run).
    public var klSpliced: Double?, klZeroAblated: Double?, klMeanAblated: Double?
    /// The seed's `ablation_study`: unweighted means over batches of each batch's mean CE.
    public var seed: SeedAblationMetrics
    /// Standard errors of ΔCE, KL(spliced) and loss recovered, clustered by sequence (text or window): the
    /// precision of a sampled ablation (`--ablation-tokens`), and of any finite corpus.
    public var standardErrors: DownstreamStandardErrors

    enum CodingKeys: String, CodingKey {
        case standardErrors = "standard_errors"
        case nTargets = "n_targets"
        case nPositions = "n_positions"
        case ceBaseline = "ce_baseline"
        case ceSpliced = "ce_spliced"
        case ceZeroAblated = "ce_zero_ablated"
        case ceMeanAblated = "ce_mean_ablated"
        case deltaCE = "delta_ce"
        case lossRecoveredZero = "loss_recovered_zero"
        case lossRecoveredMean = "loss_recovered_mean"
        case klSpliced = "kl_spliced"
        case klZeroAblated = "kl_zero_ablated"
        case klMeanAblated = "kl_mean_ablated"
        case seed
    }
}

/// Cluster-robust standard errors (clusters = sequences, since the tokens of one text are correlated):
/// for a mean of per-token values `v`, `SE² = G/(G−1) · Σ_g (V_g − n_g·mean)² / N²` with `V_g` the sum over
/// sequence `g`; for loss recovered, the ratio estimator's `SE² = G/(G−1) · Σ_g (A_g − LR·C_g)² / C²` with
/// `a = CE_ablated − CE_spliced`, `c = CE_ablated − CE_baseline`. nil with fewer than two sequences.
public struct DownstreamStandardErrors: Codable, Equatable, Sendable {
    public var deltaCE: Double?
    public var klSpliced: Double?
    public var lossRecoveredZero: Double?
    public var lossRecoveredMean: Double?
    /// Sequences (clusters) the errors are computed over.
    public var nSequences: Int

    enum CodingKeys: String, CodingKey {
        case deltaCE = "delta_ce"
        case klSpliced = "kl_spliced"
        case lossRecoveredZero = "loss_recovered_zero"
        case lossRecoveredMean = "loss_recovered_mean"
        case nSequences = "n_sequences"
    }
}

/// The seed's ablation numbers (seed inventory §2.10): means of per-batch means.
public struct SeedAblationMetrics: Codable, Equatable, Sendable {
    public var baselineLoss: Double?, zeroAblationLoss: Double?, saeReconstructionLoss: Double?
    /// 1 − (L_sae − L_base) / (L_zero − L_base) from the three batch-mean losses (nil when L_zero ≤ L_base).
    public var lossRecovered: Double?
    /// Batches with at least one target.
    public var nBatches: Int

    enum CodingKeys: String, CodingKey {
        case baselineLoss = "baseline_loss"
        case zeroAblationLoss = "zero_ablation_loss"
        case saeReconstructionLoss = "sae_reconstruction_loss"
        case lossRecovered = "loss_recovered"
        case nBatches = "n_batches"
    }
}

/// Both token variants, whether zero ablation was degenerate, and one-line notes for the run's warnings.
public struct DownstreamResult: Codable, Equatable, Sendable {
    public var metrics: ByFirstToken<DownstreamMetrics>
    /// Every zero-ablated logit row was constant (uniform prediction, CE = ln vocab).
    public var zeroAblationDegenerate: Bool
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case metrics
        case zeroAblationDegenerate = "zero_ablation_degenerate"
        case notes
    }
}

/// Sums for one token variant.
struct DownstreamStats: Codable, Sendable {
    var targets = 0, positions = 0
    var ceClean = 0.0, ceSpliced = 0.0
    var zeroTargets = 0, ceZero = 0.0, meanTargets = 0, ceMean = 0.0
    var klSpliced = 0.0, zeroRows = 0, klZero = 0.0, meanRows = 0, klMean = 0.0
    var uniformZeroRows = 0
    // The seed's per-batch means, and the sums of the batch still open.
    var batches = 0, batchMeanClean = 0.0, batchMeanSpliced = 0.0, zeroBatches = 0, batchMeanZero = 0.0
    var openTargets = 0, openClean = 0.0, openSpliced = 0.0, openZero = 0.0, openHasZero = false
    /// The seed's batches given by position (`TokenLosses.seedBatch`): their sums by batch index, so that a batch split
    /// across packed batches, checkpoints or shards is still one batch.
    var seedBatches: [Int: SeedBatchSums] = [:]
    // Per-sequence sums for the clustered standard errors: the open sequence, and the sums over closed ones.
    var group = SequenceSums(), groups = ClusterSums()

    /// Adds the positions `rows` (ascending) of a chunk whose sequence starts `isFirst` marks.
    mutating func add(_ losses: TokenLosses, rows: [Int], isFirst: [Bool]) {
        var batchTargets = 0, clean = 0.0, spliced = 0.0, zero = 0.0
        var previous = -1
        for row in rows {
            // A sequence starts in (previous, row] even when its first position is not among `rows`.
            if isFirst[(previous + 1)...row].contains(true) { closeSequence() }
            previous = row
            group.add(losses, row: row)
            positions += 1
            klSpliced += losses.klSpliced[row]
            if let kl = losses.klZero { klZero += kl[row]; zeroRows += 1 }
            if losses.uniformZero?[row] == true { uniformZeroRows += 1 }
            if let kl = losses.klMean { klMean += kl[row]; meanRows += 1 }
            guard losses.targets[row] >= 0 else { continue }
            if let seedBatch = losses.seedBatch?[row] {
                seedBatches[seedBatch, default: SeedBatchSums()].add(losses, row: row)
            }
            batchTargets += 1
            clean += losses.ceClean[row]
            spliced += losses.ceSpliced[row]
            if let ce = losses.ceZero { zero += ce[row] }
            if let ce = losses.ceMean { ceMean += ce[row]; meanTargets += 1 }
        }
        if previous + 1 < isFirst.count, isFirst[(previous + 1)...].contains(true) { closeSequence() }
        targets += batchTargets
        ceClean += clean
        ceSpliced += spliced
        if losses.ceZero != nil { ceZero += zero; zeroTargets += batchTargets }
        guard losses.seedBatch == nil else { return }
        openTargets += batchTargets
        openClean += clean
        openSpliced += spliced
        openZero += zero
        openHasZero = openHasZero || losses.ceZero != nil
    }

    mutating func closeSequence() {
        groups.add(group)
        group = SequenceSums()
    }

    /// Closes the open batch: its mean CEs join the seed's per-batch means (a batch without targets is not counted).
    mutating func finishBatch() {
        closeSequence()
        defer { (openTargets, openClean, openSpliced, openZero, openHasZero) = (0, 0, 0, 0, false) }
        guard openTargets > 0 else { return }
        batches += 1
        batchMeanClean += openClean / Double(openTargets)
        batchMeanSpliced += openSpliced / Double(openTargets)
        if openHasZero {
            batchMeanZero += openZero / Double(openTargets)
            zeroBatches += 1
        }
    }

    mutating func merge(_ other: DownstreamStats) {
        targets += other.targets; positions += other.positions
        ceClean += other.ceClean; ceSpliced += other.ceSpliced
        zeroTargets += other.zeroTargets; ceZero += other.ceZero
        meanTargets += other.meanTargets; ceMean += other.ceMean
        klSpliced += other.klSpliced; zeroRows += other.zeroRows; klZero += other.klZero
        meanRows += other.meanRows; klMean += other.klMean
        uniformZeroRows += other.uniformZeroRows
        batches += other.batches; batchMeanClean += other.batchMeanClean; batchMeanSpliced += other.batchMeanSpliced
        zeroBatches += other.zeroBatches; batchMeanZero += other.batchMeanZero
        seedBatches.merge(other.seedBatches) { $0.merged(with: $1) }
        groups.merge(other.groups)
    }

    func metrics() -> DownstreamMetrics {
        func mean(_ sum: Double, _ count: Int) -> Double? { count > 0 ? finite(sum / Double(count)) : nil }
        func recovered(_ ablated: Double?, _ baseline: Double?, _ spliced: Double?) -> Double? {
            guard let ablated, let baseline, let spliced, ablated > baseline else { return nil }
            return (ablated - spliced) / (ablated - baseline)
        }
        let baseline = mean(ceClean, targets), spliced = mean(ceSpliced, targets)
        let zero = mean(ceZero, zeroTargets), meanAblated = mean(ceMean, meanTargets)
        // The batches given by position join the closed ones, in index order (a fixed order of summation).
        var (batches, batchMeanClean, batchMeanSpliced) = (batches, batchMeanClean, batchMeanSpliced)
        var (zeroBatches, batchMeanZero) = (zeroBatches, batchMeanZero)
        for key in seedBatches.keys.sorted() {
            let sums = seedBatches[key]!
            guard sums.targets > 0 else { continue }
            let n = Double(sums.targets)
            batches += 1
            batchMeanClean += sums.clean / n
            batchMeanSpliced += sums.spliced / n
            if sums.hasZero {
                zeroBatches += 1
                batchMeanZero += sums.zero / n
            }
        }
        let seedBaseline = mean(batchMeanClean, batches), seedSpliced = mean(batchMeanSpliced, batches)
        let seedZero = mean(batchMeanZero, zeroBatches)
        var seedRecovered: Double?
        if let seedZero, let seedBaseline, let seedSpliced, seedZero > seedBaseline {
            seedRecovered = 1 - (seedSpliced - seedBaseline) / (seedZero - seedBaseline)
        }
        return DownstreamMetrics(
            nTargets: targets, nPositions: positions,
            ceBaseline: baseline, ceSpliced: spliced, ceZeroAblated: zero, ceMeanAblated: meanAblated,
            deltaCE: spliced.flatMap { s in baseline.map { s - $0 } },
            lossRecoveredZero: recovered(zero, baseline, spliced), lossRecoveredMean: recovered(meanAblated, baseline, spliced),
            klSpliced: mean(klSpliced, positions), klZeroAblated: mean(klZero, zeroRows), klMeanAblated: mean(klMean, meanRows),
            seed: SeedAblationMetrics(
                baselineLoss: seedBaseline, zeroAblationLoss: seedZero, saeReconstructionLoss: seedSpliced,
                lossRecovered: seedRecovered, nBatches: batches),
            standardErrors: groups.standardErrors(
                deltaCE: spliced.flatMap { s in baseline.map { s - $0 } }, klSpliced: mean(klSpliced, positions),
                lossRecoveredZero: recovered(zero, baseline, spliced), lossRecoveredMean: recovered(meanAblated, baseline, spliced)))
    }
}

/// CE sums over the targets of one of the seed's ablation batches.
struct SeedBatchSums: Codable, Sendable {
    var targets = 0, clean = 0.0, spliced = 0.0, zero = 0.0, hasZero = false

    mutating func add(_ losses: TokenLosses, row: Int) {
        targets += 1
        clean += losses.ceClean[row]
        spliced += losses.ceSpliced[row]
        if let ce = losses.ceZero {
            zero += ce[row]
            hasZero = true
        }
    }

    func merged(with other: SeedBatchSums) -> SeedBatchSums {
        SeedBatchSums(
            targets: targets + other.targets, clean: clean + other.clean, spliced: spliced + other.spliced,
            zero: zero + other.zero, hasZero: hasZero || other.hasZero)
    }
}

/// Sums over the positions of one sequence.
struct SequenceSums: Codable, Sendable {
    var targets = 0, positions = 0
    var delta = 0.0, kl = 0.0
    /// a = CE_ablated − CE_spliced and c = CE_ablated − CE_baseline, for zero and mean ablation.
    var zeroA = 0.0, zeroC = 0.0, meanA = 0.0, meanC = 0.0

    mutating func add(_ losses: TokenLosses, row: Int) {
        positions += 1
        kl += losses.klSpliced[row]
        guard losses.targets[row] >= 0 else { return }
        targets += 1
        let clean = losses.ceClean[row], spliced = losses.ceSpliced[row]
        delta += spliced - clean
        if let ce = losses.ceZero { zeroA += ce[row] - spliced; zeroC += ce[row] - clean }
        if let ce = losses.ceMean { meanA += ce[row] - spliced; meanC += ce[row] - clean }
    }
}

/// Sums over sequences of the products that the clustered standard errors expand into.
struct ClusterSums: Codable, Sendable {
    var count = 0
    var deltaSquares = 0.0, deltaByTargets = 0.0, targetSquares = 0.0
    var klSquares = 0.0, klByPositions = 0.0, positionSquares = 0.0
    var zeroAA = 0.0, zeroAC = 0.0, zeroCC = 0.0, zeroC = 0.0
    var meanAA = 0.0, meanAC = 0.0, meanCC = 0.0, meanC = 0.0
    var targets = 0, positions = 0

    mutating func add(_ g: SequenceSums) {
        guard g.positions > 0 else { return }
        let n = Double(g.targets), m = Double(g.positions)
        count += 1
        targets += g.targets; positions += g.positions
        deltaSquares += g.delta * g.delta; deltaByTargets += g.delta * n; targetSquares += n * n
        klSquares += g.kl * g.kl; klByPositions += g.kl * m; positionSquares += m * m
        zeroAA += g.zeroA * g.zeroA; zeroAC += g.zeroA * g.zeroC; zeroCC += g.zeroC * g.zeroC; zeroC += g.zeroC
        meanAA += g.meanA * g.meanA; meanAC += g.meanA * g.meanC; meanCC += g.meanC * g.meanC; meanC += g.meanC
    }

    mutating func merge(_ other: ClusterSums) {
        count += other.count; targets += other.targets; positions += other.positions
        deltaSquares += other.deltaSquares; deltaByTargets += other.deltaByTargets; targetSquares += other.targetSquares
        klSquares += other.klSquares; klByPositions += other.klByPositions; positionSquares += other.positionSquares
        zeroAA += other.zeroAA; zeroAC += other.zeroAC; zeroCC += other.zeroCC; zeroC += other.zeroC
        meanAA += other.meanAA; meanAC += other.meanAC; meanCC += other.meanCC; meanC += other.meanC
    }

    func standardErrors(
        deltaCE: Double?, klSpliced: Double?, lossRecoveredZero: Double?,
        lossRecoveredMean: Double?
    ) -> DownstreamStandardErrors {
        let g = Double(count), correction = g / (g - 1)
        /// SE of a per-item mean: Σ_g (V_g − n_g·mean)² expanded into the accumulated sums.
        func ofMean(_ mean: Double?, squares: Double, cross: Double, sizes: Double, total: Int) -> Double? {
            guard let mean, count > 1, total > 0 else { return nil }
            let residual = max(0, squares - 2 * mean * cross + mean * mean * sizes)
            return finite((correction * residual).squareRoot() / Double(total))
        }
        func ofRatio(_ ratio: Double?, aa: Double, ac: Double, cc: Double, c: Double) -> Double? {
            guard let ratio, count > 1, c != 0 else { return nil }
            let residual = max(0, aa - 2 * ratio * ac + ratio * ratio * cc)
            return finite((correction * residual).squareRoot() / abs(c))
        }
        return DownstreamStandardErrors(
            deltaCE: ofMean(deltaCE, squares: deltaSquares, cross: deltaByTargets, sizes: targetSquares, total: targets),
            klSpliced: ofMean(klSpliced, squares: klSquares, cross: klByPositions, sizes: positionSquares, total: positions),
            lossRecoveredZero: ofRatio(lossRecoveredZero, aa: zeroAA, ac: zeroAC, cc: zeroCC, c: zeroC),
            lossRecoveredMean: ofRatio(lossRecoveredMean, aa: meanAA, ac: meanAC, cc: meanCC, c: meanC),
            nSequences: count)
    }
}
