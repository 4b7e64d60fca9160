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
    /// The activation at the hook, `[tokenCount, width]` (the model's `width(of:)`). Replace it (same shape) and call
    /// `DecoderModel.continueForward(from:batch:)` to run the rest of the model on the replacement.
    public var activations: Activations
    /// For hooks inside a sublayer: the residual stream that the sublayer's output is added to.
    let residual: [Float]?
    /// In parallel blocks, for hooks in the MLP: attention's output, added to the residual with the MLP's.
    let pending: [Float]?

    init(hook: Hook, activations: Activations, residual: [Float]? = nil, pending: [Float]? = nil) {
        self.hook = hook
        self.activations = activations
        self.residual = residual
        self.pending = pending
    }
}

extension Activations {
    /// Each row minus its mean: the residual stream as TransformerLens shows it for LayerNorm models loaded with
    /// `center_writing_weights=True` (its default; `DecoderSpec.centersWritingWeights`), where every weight that
    /// writes to the stream has its mean over d removed. SAEs trained through TransformerLens on GPT-2 or Pythia
    /// read this view. The rest of the pass is unchanged by it: every LayerNorm removes a per-token shift, so
    /// resuming from a centered (or reconstructed centered) stream gives the same logits.
    public func centeredRows() -> Activations {
        var result = self
        result.values.withUnsafeMutableBufferPointer { values in
            for row in 0..<rows {
                let slice = UnsafeMutableBufferPointer(rebasing: values[(row * width)..<((row + 1) * width)])
                let mean = slice.reduce(0, +) / Float(width)
                for index in slice.indices { slice[index] -= mean }
            }
        }
        return result
    }
}

extension HookCapture {
    /// A capture of activations computed elsewhere (read from disk): it has nothing to resume from, so only the
    /// hook's activation is usable.
    public static func stored(hook: Hook, activations: Activations) -> HookCapture {
        HookCapture(hook: hook, activations: activations)
    }
}
