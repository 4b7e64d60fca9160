import Foundation

/// A summary of an SAE for `sae-report inspect-sae`: configuration, weight statistics and training history.
public struct SAEInspection: Codable, Sendable {
    /// Min, mean, population std and max of a list of values.
    public struct Statistics: Codable, Equatable, Sendable {
        public var min: Double, mean: Double, std: Double, max: Double

        init(_ values: [Float]) {
            let doubles = values.map(Double.init)
            let mean = doubles.reduce(0, +) / Double(Swift.max(1, doubles.count))
            let variance = doubles.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(1, doubles.count))
            self.min = doubles.min() ?? 0
            self.mean = mean
            self.std = variance.squareRoot()
            self.max = doubles.max() ?? 0
        }
    }

    /// One training curve: its first and last epoch values.
    public struct Curve: Codable, Equatable, Sendable {
        public var name: String, epochs: Int, first: Double, last: Double
    }

    public var directory: String?
    public var config: SAEConfig
    /// L2 norms of the decoder rows (after folding load-time options).
    public var decoderNorms: Statistics
    /// ‖b_dec‖.
    public var decoderBiasNorm: Double
    /// b_enc statistics, when the architecture uses it.
    public var encoderBias: Statistics?
    /// JumpReLU thresholds, when present (for gated SAEs, the folded gate thresholds).
    public var threshold: Statistics?
    /// SAELens `sparsity.safetensors` (log10 feature density), when present.
    public var logFeatureDensity: Statistics?
    /// Fraction of features whose training-time `ever_fired` is set (nil when the SAE has no such buffer).
    public var fractionEverFired: Double?
    /// Epochs in `history.json` (nil when absent) and each curve's first and last values.
    public var historyEpochs: Int?
    public var curves: [Curve]

    enum CodingKeys: String, CodingKey {
        case directory, config, curves, threshold
        case logFeatureDensity = "log10_feature_density"
        case decoderNorms = "decoder_norms"
        case decoderBiasNorm = "b_dec_norm"
        case encoderBias = "b_enc"
        case fractionEverFired = "fraction_ever_fired"
        case historyEpochs = "history_epochs"
    }

    public init(_ sae: SparseAutoencoder) {
        directory = sae.directory?.path
        config = sae.config
        decoderNorms = Statistics(sae.decoderNorms)
        decoderBiasNorm = sae.decoderBias.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        encoderBias = sae.config.usesEncoderBias ? Statistics(sae.encoderBias) : nil
        threshold = sae.threshold.map(Statistics.init)
        logFeatureDensity = sae.logFeatureDensity.map(Statistics.init)
        fractionEverFired = sae.everFired.map { fired in Double(fired.filter { $0 }.count) / Double(max(1, fired.count)) }
        historyEpochs = sae.history?.epochs
        curves =
            sae.history?.curves.keys.sorted().map { name in
                let values = sae.history!.curves[name]!
                return Curve(name: name, epochs: values.count, first: values.first!, last: values.last!)
            } ?? []
    }

    /// `  (model_type gemma2)`: the family the recorded model implies, which `analyze` checks the model against; or
    /// that no check is made.
    var expectedFamily: String {
        guard let name = config.modelName else { return "" }
        guard let family = SAEModelFamilyCheck.family(ofRecordedModel: name) else {
            return "  (family unknown: not checked against the model)"
        }
        return "  (expects model_type \(family.rawValue))"
    }

    /// What the release says about training that the pipeline should match (BOS, context, dataset, model options).
    private var trainingSummary: String? {
        let metadata = config.metadata
        var facts: [String] = []
        if let bos = metadata.prependBOS { facts.append("prepend_bos \(bos)") }
        if let context = metadata.contextSize { facts.append("context \(context)") }
        if let dataset = metadata.datasetPath { facts.append("dataset \(dataset)") }
        if let kwargs = metadata.modelFromPretrainedKwargs, !kwargs.isEmpty {
            facts.append("model kwargs " + kwargs.keys.sorted().map { "\($0)=\(kwargs[$0]!.summary)" }.joined(separator: ", "))
        }
        return facts.isEmpty ? nil : facts.joined(separator: ", ")
    }

    /// The human-readable report, one fact per line.
    public var text: String {
        func number(_ value: Double) -> String { String(format: "%.6g", value) }
        func statistics(_ s: Statistics) -> String {
            "min \(number(s.min))  mean \(number(s.mean))  std \(number(s.std))  max \(number(s.max))"
        }
        var lines: [String] = []
        if let directory { lines.append("SAE:            \(directory)") }
        lines.append("format:         \(config.format.rawValue)")
        lines.append("architecture:   \(config.architecture.rawValue)" + (config.k.map { "  k = \($0)" } ?? ""))
        lines.append("d_in × d_sae:   \(config.dIn) × \(config.dSae)")
        lines.append(
            "hook:           \(config.hookName)" + (config.layer.map { "  (layer \($0))" } ?? "")
                + (config.metadata.sourceHookName.map { "  (release name \($0))" } ?? ""))
        lines.append("model:          \(config.modelName ?? "not recorded")" + expectedFamily)
        if let training = trainingSummary { lines.append("training:       \(training)") }
        lines.append("dtype:          \(config.dtype) (computed in float32)")
        lines.append(
            "input:          \(config.appliesDecoderBiasToInput ? "x − b_dec" : "x (b_dec not subtracted)")"
                + (config.usesEncoderBias ? ", + b_enc" : ", no b_enc"))
        switch config.normalization {
        case .none: lines.append("normalization:  none")
        case .expectedAverageOnlyIn:
            lines.append("normalization:  expected_average_only_in, factor \(number(config.inputScalingFactor ?? 1)) folded into the weights")
        case .constantNormRescale, .layerNorm:
            lines.append("normalization:  \(config.normalization.rawValue) per token, undone on the output")
        }
        if config.architecture == .gated { lines.append("folded:         gate (b_gate, r_mag, b_mag) as JumpReLU thresholds") }
        if config.rescaledByDecoderNorm { lines.append("folded:         rescale_acts_by_decoder_norm") }
        if config.foldedFeatureScalingFactor { lines.append("folded:         per-feature scaling_factor") }
        lines.append("decoder norms:  \(statistics(decoderNorms))")
        lines.append("‖b_dec‖:        \(number(decoderBiasNorm))")
        if let encoderBias { lines.append("b_enc:          \(statistics(encoderBias))") }
        if let threshold { lines.append("threshold:      \(statistics(threshold))") }
        if let density = logFeatureDensity { lines.append("log10 density:  \(statistics(density))  (sparsity.safetensors)") }
        if let fired = fractionEverFired {
            lines.append("ever fired:     \(number(fired * 100))% of features (training-time ever_fired)")
        } else {
            lines.append("ever fired:     not recorded")
        }
        if let epochs = historyEpochs {
            lines.append("history:        \(epochs) epochs")
            let width = curves.map(\.name.count).max() ?? 0
            for curve in curves {
                lines.append(
                    "  \(curve.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(number(curve.first)) → \(number(curve.last))"
                        + (curve.epochs == epochs ? "" : "  (\(curve.epochs) epochs)"))
            }
        } else {
            lines.append("history:        none")
        }
        return lines.joined(separator: "\n")
    }
}
