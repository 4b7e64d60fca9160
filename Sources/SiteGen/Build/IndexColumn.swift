/// One column of the feature index. `IndexColumn.all` is the only place the columns are defined: `data/features.js`
/// names them (`columns`) and writes each row's values in their order, `features.html` renders its header from
/// them, and `index.js` finds every column by name and renders a cell by its kind.
struct IndexColumn: Sendable {
    /// How index.js shows and sorts a column.
    enum Kind: String, Sendable {
        case id, text, percent, number, cluster, tokens
        /// Not shown: a 0/1 the page filters on.
        case flag
    }

    let name: String
    let title: String
    let kind: Kind
    /// Whether the search box matches this column's text.
    let searchable: Bool
    /// Sorted ascending on the first click (text and ids), else descending (largest first).
    var ascendingFirst: Bool { kind == .id || kind == .text || kind == .cluster || kind == .tokens }
    var isNumeric: Bool { kind != .text && kind != .tokens }
    /// The value as a JSON literal (strings escaped for a script file).
    let json: @Sendable (_ id: Int, _ entry: IndexEntry) -> String

    static let all: [IndexColumn] = [
        IndexColumn(name: "id", title: "Id", kind: .id, searchable: true) { id, _ in String(id) },
        IndexColumn(name: "label", title: "Label", kind: .text, searchable: true) { JSONEscaping.quoted($1.label ?? "") },
        IndexColumn(name: "frequency", title: "Frequency", kind: .percent, searchable: false) { IndexPage.number($1.frequency) },
        IndexColumn(name: "mean", title: "Mean act.", kind: .number, searchable: false) { IndexPage.number($1.mean) },
        IndexColumn(name: "max", title: "Max act.", kind: .number, searchable: false) { IndexPage.number($1.max) },
        IndexColumn(name: "cluster", title: "Cluster", kind: .cluster, searchable: false) { $1.cluster.map(String.init) ?? "null" },
        IndexColumn(name: "top_tokens", title: "Top tokens", kind: .tokens, searchable: true) { JSONEscaping.quoted($1.topTokens) },
        IndexColumn(name: "has_examples", title: "Has examples", kind: .flag, searchable: false) { $1.hasExamples ? "1" : "0" },
    ]

    /// The column the index is sorted by when it opens (descending).
    static let initialSort = "frequency"

    /// The `columns` member of `data/features.js`.
    static var schemaJSON: String {
        "["
            + all.map { "{\"name\":\"\($0.name)\",\"kind\":\"\($0.kind.rawValue)\",\"search\":\($0.searchable)}" }
            .joined(separator: ",") + "]"
    }

    /// The header cells' template values (shown columns only).
    static var headers: [[String: Any]] {
        all.filter { $0.kind != .flag }.map { column in
            var header: [String: Any] = [
                "name": column.name, "title": column.title,
                "ascending": column.ascendingFirst ? "1" : "0",
            ]
            if column.isNumeric { header["num"] = true }
            if column.name == initialSort { header["sort"] = "descending" }
            return header
        }
    }
}
