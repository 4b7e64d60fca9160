/// A row-major `[rows, width]` matrix of activations: one row per token of a `PackedBatch`.
public struct Activations: Equatable, Sendable {
    public var rows: Int
    public var width: Int
    /// `rows · width` values, row after row.
    public var values: [Float]

    public init(rows: Int, width: Int, values: [Float]) {
        precondition(values.count == rows * width, "\(values.count) values do not fill [\(rows), \(width)]")
        self.rows = rows
        self.width = width
        self.values = values
    }

    /// A copy of `rows · width` values starting at `pointer`.
    init(copying pointer: UnsafePointer<Float>, rows: Int, width: Int) {
        self.init(rows: rows, width: width, values: Array(UnsafeBufferPointer(start: pointer, count: rows * width)))
    }

    /// Row `index`.
    public subscript(row index: Int) -> ArraySlice<Float> { values[(index * width)..<((index + 1) * width)] }
}

/// The state of a forward pass stopped at a hook: the hook's activation, and what resuming from it needs.
public struct HookCapture: Sendable {
    /// Where the pass stopped.
    public let hook: Hook
    /// The activation at the hook, `[tokenCount, hiddenSize]`. Replace it (same shape) and call
    /// `Qwen3Model.continueForward(from:batch:)` to run the rest of the model on the replacement.
    public var activations: Activations
    /// For `hook_attn_out` and `hook_mlp_out`: the residual stream that the hook's output is added to.
    let residual: [Float]?
}
