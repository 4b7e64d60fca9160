/// Every metric of the runs side by side with its difference to run A: the seed's four blocks (every run has
/// them, ours and the seed's, with the seed's definitions) and `metric_table` (ours, correct definitions, per
/// token variant), plus the dead and dense feature counts.
struct MetricComparison: Sendable {
    struct Row: Sendable {
        var group: String
        var name: String
        var detail: String
        /// One value per run: a number, a text (non-numeric values), or nil when the run lacks the metric.
        var values: [Value?]
    }

    enum Value: Sendable, Equatable {
        case number(Double)
        case text(String)

        var number: Double? {
            if case .number(let value) = self { return value }
            return nil
        }
    }

    var blocks: [Row]
    var table: [Row]
    var counts: [Row]

    init(_ runs: [RunSummary]) {
        blocks = Self.merge(
            runs.map { run in
                run.blocks.flatMap { block in
                    block.values.map { entry -> Row in
                        let value: Value = entry.value.number.map(Value.number) ?? .text(entry.value.displayText)
                        return Row(group: block.name.replacingOccurrences(of: "_", with: " "), name: entry.key, detail: "", values: [value])
                    }
                }
            })
        table = Self.merge(
            runs.map { run in
                (run.metricTable ?? []).map { metric in
                    let tokens = metric.variant.map { $0 == "without_first_token" ? "without first token" : "all tokens" } ?? ""
                    return Row(group: metric.group, name: metric.name, detail: tokens, values: [metric.value.map(Value.number)])
                }
            })
        func count(_ name: String, _ detail: String, _ value: (RunSummary) -> Int?) -> Row {
            Row(group: "features", name: name, detail: detail, values: runs.map { value($0).map { .number(Double($0)) } })
        }
        counts = [
            count("features", "d_sae", { $0.dSae }),
            count("never fired", "on this run's corpus", { $0.deadFeatureIDs?.count ?? $0.neverFired }),
            count("dead in training", "the SAE's ever_fired buffer", { $0.trainingDeadFeatureIDs?.count }),
            count("dense > 10%", "fire on more than 10% of tokens", { $0.denseAbove10pct?.count }),
            count("dense > 1%", "fire on more than 1% of tokens", { $0.denseAbove1pct?.count }),
        ].filter { $0.values.contains { $0 != nil } }
    }

    /// Rows keyed by (group, name, detail) in first-seen order, one value per run.
    private static func merge(_ perRun: [[Row]]) -> [Row] {
        var order: [String] = []
        var rows: [String: Row] = [:]
        for (run, list) in perRun.enumerated() {
            for row in list {
                let key = row.group + "\u{0}" + row.name + "\u{0}" + row.detail
                if rows[key] == nil {
                    order.append(key)
                    rows[key] = Row(
                        group: row.group, name: row.name, detail: row.detail,
                        values: Array(repeating: nil, count: perRun.count))
                }
                if rows[key]!.values[run] == nil { rows[key]!.values[run] = row.values[0] }
            }
        }
        return order.map { rows[$0]! }
    }
}
