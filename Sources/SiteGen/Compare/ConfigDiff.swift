/// The runs' configurations side by side: every flattened key of any run's config, with each run's value
/// ("–" where a run has no such key), split into the keys whose values differ and those all runs share.
struct ConfigDiff: Sendable {
    struct Row: Sendable {
        var key: String
        /// One value per run, nil where the run's config lacks the key.
        var values: [String?]
        var differs: Bool
    }

    var rows: [Row]

    var differing: [Row] { rows.filter(\.differs) }
    var shared: [Row] { rows.filter { !$0.differs } }

    /// `configs[i]` is run i's flattened config (nil when the run has no config file).
    init(_ configs: [[(key: String, value: String)]?]) {
        let maps = configs.map { lines in Dictionary((lines ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        let keys = Set(maps.flatMap(\.keys)).sorted()
        rows = keys.map { key in
            let values = maps.map { $0[key] }
            return Row(key: key, values: values, differs: Set(values.map { $0 ?? "\u{0}missing" }).count > 1)
        }
    }
}
