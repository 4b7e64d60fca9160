import Charts
import Foundation

/// `FeatureRecord` read straight from the bytes of its summaries line (`JSONByteReader`), with the values
/// `JSONFile.decode` gives: the same keys (unknown ones skipped, the last of a repeated key kept), `null` as absent
/// for the optional members, the same strictness on types. A line it declines goes through `JSONFile.decode`.
extension FeatureRecord {
    /// The record on one line of `feature_summaries_<ts>.jsonl`.
    static func decode(jsonLine data: Data) throws -> FeatureRecord {
        try read(jsonLine: data) ?? JSONFile.decode(FeatureRecord.self, from: data)
    }

    /// The record read by `JSONByteReader`, or nil when it declines the line.
    static func read(jsonLine data: Data) -> FeatureRecord? {
        data.withUnsafeBytes { raw -> FeatureRecord? in
            var reader = JSONByteReader(bytes: raw.bindMemory(to: UInt8.self))
            guard let record = try? FeatureRecord(reading: &reader), (try? reader.expectEnd()) != nil else { return nil }
            return record
        }
    }

    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var feature: Int?, activationFrequency: Double?, meanActivation: Double?, topExamples: [Example] = []
        var activationCount: Double?, frequency: Double?, maxActivation: Double?
        var histogram: HistogramBins?, moments: Moments?, logitHistogram: HistogramBins?
        var intervalExamples: [IntervalGroup]?, logitEffects: LogitEffects?, neighbors: NeighborLists?
        var neuronAlignment: [AlignedDimension]?, cluster: Int?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "feature": feature = try r.int()
            case "activation_frequency": activationFrequency = try r.optionalDouble()
            case "mean_activation": meanActivation = try r.optionalDouble()
            case "top_examples": topExamples = try r.skipNull() ? [] : r.array { r throws(JSONByteReader.Declined) in try Example(reading: &r) }
            case "activation_count": activationCount = try r.optionalDouble()
            case "frequency": frequency = try r.optionalDouble()
            case "max_activation": maxActivation = try r.optionalDouble()
            case "histogram": histogram = try r.skipNull() ? nil : HistogramBins(reading: &r)
            case "moments": moments = try r.skipNull() ? nil : Moments(reading: &r)
            case "logit_histogram": logitHistogram = try r.skipNull() ? nil : HistogramBins(reading: &r)
            case "quantile_examples":
                intervalExamples = try r.skipNull() ? nil : r.array { r throws(JSONByteReader.Declined) in try IntervalGroup(reading: &r) }
            case "logit_effects": logitEffects = try r.skipNull() ? nil : LogitEffects(reading: &r)
            case "neighbors": neighbors = try r.skipNull() ? nil : NeighborLists(reading: &r)
            case "neuron_alignment":
                neuronAlignment = try r.skipNull() ? nil : r.array { r throws(JSONByteReader.Declined) in try AlignedDimension(reading: &r) }
            case "cluster": cluster = try r.skipNull() ? nil : r.int()
            default: return false
            }
            return true
        }
        guard let feature else { throw JSONByteReader.Declined() }
        self.feature = feature
        self.activationFrequency = activationFrequency
        self.meanActivation = meanActivation
        self.topExamples = topExamples
        self.activationCount = activationCount
        self.frequency = frequency
        self.maxActivation = maxActivation
        self.histogram = histogram
        self.moments = moments
        self.logitHistogram = logitHistogram
        self.intervalExamples = intervalExamples
        self.logitEffects = logitEffects
        self.neighbors = neighbors
        self.neuronAlignment = neuronAlignment
        self.cluster = cluster
    }
}

extension FeatureRecord.Example {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var token: String?, activation: Double?, context: String?, position: Int?, textIndex: Int?
        var contextTokens: [String]?, contextActivations: [Double]?, targetIndex: Int?
        var lossEffects: FeatureRecord.LossEffects?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "token": token = try r.string()
            case "activation": activation = try r.double()
            case "context": context = try r.skipNull() ? nil : r.string()
            case "position": position = try r.skipNull() ? nil : r.int()
            case "text_idx": textIndex = try r.skipNull() ? nil : r.int()
            case "context_tokens": contextTokens = try r.skipNull() ? nil : r.array { r throws(JSONByteReader.Declined) in try r.string() }
            case "context_activations":
                contextActivations = try r.skipNull() ? nil : r.array { r throws(JSONByteReader.Declined) in try r.double() }
            case "target_index": targetIndex = try r.skipNull() ? nil : r.int()
            case "loss_effects": lossEffects = try r.skipNull() ? nil : FeatureRecord.LossEffects(reading: &r)
            default: return false
            }
            return true
        }
        guard let token, let activation else { throw JSONByteReader.Declined() }
        self.init(
            token: token, activation: activation, context: context, position: position, textIndex: textIndex,
            contextTokens: contextTokens, contextActivations: contextActivations, targetIndex: targetIndex)
        self.lossEffects = lossEffects
    }
}

extension FeatureRecord.LossEffects {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var deltaLoss: [Double?]?, kl: [Double?]?, directDeltaLoss: [Double?]?, directKL: [Double?]?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "delta_loss": deltaLoss = try Self.values(&r)
            case "kl": kl = try r.skipNull() ? nil : Self.values(&r)
            case "direct_delta_loss": directDeltaLoss = try r.skipNull() ? nil : Self.values(&r)
            case "direct_kl": directKL = try r.skipNull() ? nil : Self.values(&r)
            default: return false
            }
            return true
        }
        guard let deltaLoss else { throw JSONByteReader.Declined() }
        self.init(deltaLoss: deltaLoss, kl: kl, directDeltaLoss: directDeltaLoss, directKL: directKL)
    }

    private static func values(_ r: inout JSONByteReader) throws(JSONByteReader.Declined) -> [Double?] {
        try r.array { r throws(JSONByteReader.Declined) in try r.optionalDouble() }
    }
}

extension FeatureRecord.IntervalGroup {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var range: [Double]?, count: Double?, examples: [FeatureRecord.Example]?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "range": range = try r.array { r throws(JSONByteReader.Declined) in try r.double() }
            case "count": count = try r.optionalDouble()
            case "examples": examples = try r.array { r throws(JSONByteReader.Declined) in try FeatureRecord.Example(reading: &r) }
            default: return false
            }
            return true
        }
        guard let range, let examples else { throw JSONByteReader.Declined() }
        self.init(range: range, count: count, examples: examples)
    }
}

extension FeatureRecord.Moments {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var density: Double?, mean: Double?, meanSquare: Double?, skew: Double?, kurtosis: Double?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "density": density = try r.optionalDouble()
            case "mean": mean = try r.optionalDouble()
            case "mean_square": meanSquare = try r.optionalDouble()
            case "skew": skew = try r.optionalDouble()
            case "kurtosis": kurtosis = try r.optionalDouble()
            default: return false
            }
            return true
        }
        self.init(density: density, mean: mean, meanSquare: meanSquare, skew: skew, kurtosis: kurtosis)
    }
}

extension FeatureRecord.LogitEffects {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var promoted: [FeatureRecord.TokenValue]?, suppressed: [FeatureRecord.TokenValue]?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "promoted": promoted = try r.array { r throws(JSONByteReader.Declined) in try FeatureRecord.TokenValue(reading: &r) }
            case "suppressed": suppressed = try r.array { r throws(JSONByteReader.Declined) in try FeatureRecord.TokenValue(reading: &r) }
            default: return false
            }
            return true
        }
        guard let promoted, let suppressed else { throw JSONByteReader.Declined() }
        self.init(promoted: promoted, suppressed: suppressed)
    }
}

extension FeatureRecord.TokenValue {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var token: String?, tokenID: Int?, value: Double?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "token": token = try r.string()
            case "token_id": tokenID = try r.skipNull() ? nil : r.int()
            case "value": value = try r.double()
            default: return false
            }
            return true
        }
        guard let token, let value else { throw JSONByteReader.Declined() }
        self.init(token: token, tokenID: tokenID, value: value)
    }
}

extension FeatureRecord.NeighborLists {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        func list(_ r: inout JSONByteReader) throws(JSONByteReader.Declined) -> [FeatureRecord.Neighbor]? {
            try r.skipNull() ? nil : r.array { r throws(JSONByteReader.Declined) in try FeatureRecord.Neighbor(reading: &r) }
        }
        var decoder: [FeatureRecord.Neighbor]?, cooccurrence: [FeatureRecord.Neighbor]?, correlation: [FeatureRecord.Neighbor]?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "decoder": decoder = try list(&r)
            case "cooccurrence": cooccurrence = try list(&r)
            case "correlation": correlation = try list(&r)
            default: return false
            }
            return true
        }
        self.init(decoder: decoder, cooccurrence: cooccurrence, correlation: correlation)
    }
}

extension FeatureRecord.Neighbor {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var feature: Int?, value: Double?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "feature": feature = try r.int()
            case "value": value = try r.double()
            default: return false
            }
            return true
        }
        guard let feature, let value else { throw JSONByteReader.Declined() }
        self.init(feature: feature, value: value)
    }
}

extension FeatureRecord.AlignedDimension {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var dimension: Int?, value: Double?, l1Share: Double?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "dimension": dimension = try r.int()
            case "value": value = try r.double()
            case "l1_share": l1Share = try r.double()
            default: return false
            }
            return true
        }
        guard let dimension, let value, let l1Share else { throw JSONByteReader.Declined() }
        self.init(dimension: dimension, value: value, l1Share: l1Share)
    }
}

extension HistogramBins {
    init(reading r: inout JSONByteReader) throws(JSONByteReader.Declined) {
        var edges: [Double]?, counts: [Double]?
        try r.forEachKey { key, r throws(JSONByteReader.Declined) in
            switch key {
            case "edges": edges = try r.array { r throws(JSONByteReader.Declined) in try r.double() }
            case "counts": counts = try r.array { r throws(JSONByteReader.Declined) in try r.double() }
            default: return false
            }
            return true
        }
        guard let edges, let counts else { throw JSONByteReader.Declined() }
        self.init(edges: edges, counts: counts)
    }
}
