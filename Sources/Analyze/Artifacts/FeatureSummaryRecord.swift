/// The JSON of one `feature_summaries` line: the seed's record (`feature, activation_frequency` — a count,
/// `mean_activation, top_examples`) extended as docs/artifacts.md describes.
enum FeatureSummaryRecord {
    /// Neighbours listed per feature in the record (the `.npz` holds all 32).
    static let listedNeighbors = 10

    static func json(_ report: FeatureReport, analysis: FeatureAnalysis, tokenTexts: ([Int32]) -> [String]) -> OrderedJSON {
        let f = report.feature
        func example(_ e: FeatureExample, effect: ExampleLossEffect? = nil) -> OrderedJSON {
            // The tokens just outside tell whether the context's own edges fall between words.
            var around = tokenTexts((e.tokenBefore.map { [$0] } ?? []) + e.contextTokenIDs + (e.tokenAfter.map { [$0] } ?? []))
            let before = e.tokenBefore == nil ? nil : around.removeFirst()
            let after = e.tokenAfter == nil ? nil : around.removeLast()
            let shown = ContextWindow(pieces: around, target: e.targetIndex, before: before, after: after).range
            let tokens = tokenTexts(Array(e.contextTokenIDs[shown]))
            var members: [(String, OrderedJSON)] = [
                ("token", .string(tokenTexts([e.token.tokenID])[0])),
                ("activation", .float(e.activation)),
                // The seed's key keeps the seed's whole ±radius window; the context_* keys hold the shown one.
                ("context", .string(tokenTexts(e.contextTokenIDs).joined())),
                ("position", .int(Int(e.token.position))),
                ("text_idx", .int(Int(e.token.textIndex))),
                ("global_idx", .int(e.row)),
                ("token_id", .int(Int(e.token.tokenID))),
                ("context_tokens", .array(tokens.map(OrderedJSON.string))),
                ("context_activations", .array(e.contextActivations[shown].map(OrderedJSON.float))),
                ("target_index", .int(e.targetIndex - shown.lowerBound)),
            ]
            if let effect {
                let firstRow = e.row - e.targetIndex + shown.lowerBound
                members.append(("loss_effects", lossEffects(effect, shownRows: firstRow..<(firstRow + shown.count))))
            }
            return .object(members)
        }
        func neighbors(_ table: NeighborTable) -> OrderedJSON {
            .array(
                table.neighbors(of: f).prefix(listedNeighbors).map {
                    .object([("feature", .int($0.feature)), ("value", .float($0.value))])
                })
        }
        func histogram(_ h: Histogram) -> OrderedJSON {
            .object([("edges", .array(h.edges.map(OrderedJSON.double))), ("counts", .array(h.counts.map(OrderedJSON.int)))])
        }
        var members: [(String, OrderedJSON)] = [
            ("feature", .int(f)),
            ("activation_frequency", .double(Double(report.activationCount))),
            ("mean_activation", .double(report.meanActivation)),
            (
                "top_examples",
                .array(
                    report.topExamples.map {
                        example($0, effect: analysis.lossEffects?.effects[.init(feature: f, row: $0.row)])
                    })
            ),
            ("activation_count", .int(report.activationCount)),
            ("frequency", .double(report.frequency)),
            ("max_activation", .float(report.maxActivation)),
            ("moments", moments(report.moments)),
            ("histogram", histogram(report.histogram)),
            (
                "quantile_examples",
                .array(
                    report.intervalExamples.map {
                        .object([
                            ("range", .array([.double($0.lower), .double($0.upper)])), ("count", .int($0.count)),
                            ("examples", .array($0.examples.map { example($0) })),
                        ])
                    })
            ),
        ]
        if let effects = analysis.logitEffects, effects.covers(f) {
            let (promoted, suppressed) = effects.effects(of: f)
            func list(_ items: ArraySlice<LogitEffects.Effect>) -> OrderedJSON {
                .array(
                    items.filter { $0.tokenID >= 0 }.map {
                        .object([
                            ("token", .string(tokenTexts([Int32($0.tokenID)])[0])), ("token_id", .int($0.tokenID)),
                            ("value", .float($0.value)),
                        ])
                    })
            }
            members.append(("logit_effects", .object([("promoted", list(promoted)), ("suppressed", list(suppressed))])))
            members.append(("logit_histogram", histogram(effects.histograms[f])))
        }
        members.append(
            (
                "neighbors",
                .object([
                    ("decoder", neighbors(analysis.decoderNeighbors)),
                    ("cooccurrence", neighbors(analysis.cooccurrenceNeighbors)),
                    ("correlation", neighbors(analysis.correlationNeighbors)),
                ])
            ))
        members.append(
            (
                "neuron_alignment",
                .array(
                    analysis.neuronAlignment.of(f).map {
                        .object([("dimension", .int($0.dimension)), ("value", .float($0.value)), ("l1_share", .double($0.l1Share))])
                    })
            ))
        members.append(("cluster", analysis.clustering.assignment[f].map(OrderedJSON.int) ?? .null))
        return .object(members)
    }

    /// An example's loss effects aligned with its shown tokens: at each token, the effect on predicting that token
    /// (the prediction made one row before it), null where removing the feature cannot change it (tokens up to the
    /// example's own) or it was not computed; the direct path only at the token after the example.
    static func lossEffects(_ effect: ExampleLossEffect, shownRows: Range<Int>) -> OrderedJSON {
        func aligned(_ values: [Double]) -> OrderedJSON {
            .array(
                shownRows.map { row in
                    let index = row - 1 - effect.row
                    return values.indices.contains(index) ? .double(values[index]) : .null
                })
        }
        func direct(_ value: Double?) -> OrderedJSON {
            .array(shownRows.map { row in row == effect.row + 1 ? value.map(OrderedJSON.double) ?? .null : .null })
        }
        return .object([
            ("delta_loss", aligned(effect.deltaLoss)), ("kl", aligned(effect.klDivergence)),
            ("direct_delta_loss", direct(effect.directDeltaLoss)), ("direct_kl", direct(effect.directKL)),
        ])
    }

    /// Zero-centred moments over all tokens; skew and kurtosis are null when `E[a²] = 0`.
    static func moments(_ m: FeatureMoments) -> OrderedJSON {
        .object([
            ("density", .double(m.density)), ("mean", .double(m.mean)), ("mean_square", .double(m.meanSquare)),
            ("skew", m.skew.map(OrderedJSON.double) ?? .null), ("kurtosis", m.kurtosis.map(OrderedJSON.double) ?? .null),
        ])
    }
}
