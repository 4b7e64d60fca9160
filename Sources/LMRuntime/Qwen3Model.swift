import Formats
import Foundation
import Parallelism

/// The Qwen3-family decoder forward pass in fp32 over packed batches.
///
/// Each block is `x += attention(rmsnorm(x))` then `x += mlp(rmsnorm(x))`; the pass can stop right after any
/// hook (`forward(_:stopAt:)`) and resume from a captured, possibly replaced, activation (`continueForward`).
/// Not thread-safe: one model runs one pass at a time (its scratch buffers are reused across calls).
public final class Qwen3Model {
    public let weights: Qwen3Weights
    public var config: Qwen3Config { weights.config }
    private var rotary: RotaryEmbedding
    private let workspace = ForwardWorkspace()

    /// A model over loaded weights; `contextLength` only pre-sizes the rotary tables.
    public init(weights: Qwen3Weights, contextLength: Int = 1024) {
        BLAS.configure()
        self.weights = weights
        rotary = RotaryEmbedding(headDim: weights.config.headDim, theta: weights.config.ropeTheta, positions: contextLength)
    }

    /// Loads the model in a Hugging Face directory (`config.json` + safetensors); `blockCount` limits loading to
    /// the first blocks (see `Qwen3Weights`).
    public convenience init(modelDirectory: URL, contextLength: Int = 1024, blockCount: Int? = nil) throws {
        self.init(weights: try Qwen3Weights(modelDirectory: modelDirectory, blockCount: blockCount), contextLength: contextLength)
    }

    /// Runs the blocks up to `hook` and returns its activation (nothing after the hook is computed).
    public func forward(_ batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture {
        try checkHook(hook)
        try embed(batch)
        guard case .captured(let capture) = run(batch, firstLayer: 0, completed: .residPre, stopAt: hook) else {
            preconditionFailure("the pass ended without reaching \(hook)")
        }
        return capture
    }

    /// Runs the whole model and returns the final hidden states (after the final norm), `[tokenCount, hiddenSize]`:
    /// the LM head's input, see `logits` and `nextTokenStatistics`.
    public func forward(_ batch: PackedBatch) throws -> Activations {
        try checkComplete()
        try embed(batch)
        guard case .finalHidden(let hidden) = run(batch, firstLayer: 0, completed: .residPre, stopAt: nil) else {
            preconditionFailure("a full pass stopped early")
        }
        return hidden
    }

    /// Runs the rest of the model from `capture` (same `batch` as the pass that made it), using
    /// `capture.activations` at the hook, and returns the final hidden states.
    public func continueForward(from capture: HookCapture, batch: PackedBatch) throws -> Activations {
        try checkComplete()
        try checkHook(capture.hook)
        let n = batch.tokenCount, d = config.hiddenSize
        guard capture.activations.rows == n, capture.activations.width == d, capture.residual.map({ $0.count == n * d }) ?? true else {
            throw InputError("activations for \(capture.hook) are [\(capture.activations.rows), \(capture.activations.width)], "
                             + "but the batch needs [\(n), \(d)]")
        }
        try checkTokens(batch)
        workspace.prepare(for: batch, config: config)
        let x = workspace.residual.pointer, projection = workspace.projection.pointer
        let layer = capture.hook.layer
        var firstLayer = layer
        var completed = capture.hook.point
        switch capture.hook.point {
        case .residPre, .residMid:
            capture.activations.values.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: n * d) }
        case .residPost:
            capture.activations.values.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: n * d) }
            (firstLayer, completed) = (layer + 1, .residPre)
        case .attnOut, .mlpOut:
            capture.residual!.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: n * d) }
            capture.activations.values.withUnsafeBufferPointer { projection.update(from: $0.baseAddress!, count: n * d) }
        }
        guard case .finalHidden(let hidden) = run(batch, firstLayer: firstLayer, completed: completed, stopAt: nil) else {
            preconditionFailure("a resumed pass stopped early")
        }
        return hidden
    }

    /// Runs the rest of the model from `capture` once per entry of `replacements` (each `[n, d]` standing in for
    /// `capture.activations`; nil keeps them), all as one pass over the variants stacked row-wise
    /// (`replacements.count · n` rows: one sweep over the suffix's weights for every variant, and larger products).
    /// Returns the final hidden states variant after variant, `[replacements.count · n, d]`: the input of
    /// `nextTokenStatistics(batch:stackedHidden:runs:)`. Row for row equal to separate `continueForward` calls
    /// up to the products' summation order.
    public func continueForward(from capture: HookCapture, replacements: [Activations?], batch: PackedBatch) throws -> Activations {
        let n = batch.tokenCount, d = config.hiddenSize
        for replacement in replacements.compactMap({ $0 }) where replacement.rows != n || replacement.width != d {
            throw InputError("a replacement for \(capture.hook) is [\(replacement.rows), \(replacement.width)], but the batch needs [\(n), \(d)]")
        }
        guard replacements.count != 1 else {
            var single = capture
            if let replacement = replacements[0] { single.activations = replacement }
            return try continueForward(from: single, batch: batch)
        }
        var values: [Float] = []
        values.reserveCapacity(replacements.count * n * d)
        for replacement in replacements { values += (replacement ?? capture.activations).values }
        let stacked = HookCapture(hook: capture.hook, activations: Activations(rows: replacements.count * n, width: d, values: values),
                                  residual: capture.residual.map { residual in
                                      Array((0..<replacements.count).map { _ in residual }.joined())
                                  })
        return try continueForward(from: stacked, batch: batch.repeated(replacements.count))
    }

    // MARK: - The pass

    private enum Outcome {
        case captured(HookCapture)
        case finalHidden(Activations)
    }

    private func checkHook(_ hook: Hook) throws {
        guard (0..<config.layerCount).contains(hook.layer) else {
            throw InputError("invalid hook \(hook): the model has blocks 0...\(config.layerCount - 1)")
        }
        guard hook.layer < weights.blockCount else {
            throw InputError("hook \(hook) is past the \(weights.blockCount) blocks loaded")
        }
    }

    private func checkComplete() throws {
        guard weights.isComplete else {
            throw InputError("only \(weights.blockCount) of \(config.layerCount) blocks are loaded; the full pass needs all")
        }
    }

    private func checkTokens(_ batch: PackedBatch) throws {
        let vocabulary = Int32(config.vocabSize)
        if let row = batch.tokens.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw InputError("token id \(batch.tokens[row]) (row \(row) of the batch) is outside the model's vocabulary 0..<\(vocabulary)")
        }
    }

    /// residual[row] = embedding[token[row]].
    private func embed(_ batch: PackedBatch) throws {
        try checkTokens(batch)
        workspace.prepare(for: batch, config: config)
        let d = config.hiddenSize, x = workspace.residual.pointer
        weights.embedding.withUnsafeBufferPointer { table in
            for (row, token) in batch.tokens.enumerated() {
                (x + row * d).update(from: table.baseAddress! + Int(token) * d, count: d)
            }
        }
    }

    /// Runs blocks `firstLayer...` on the residual stream in the workspace. In `firstLayer`, the steps up to and
    /// including `completed` are already done (their results are in `residual` / `projection`).
    private func run(_ batch: PackedBatch, firstLayer: Int, completed: Hook.Point, stopAt stop: Hook?) -> Outcome {
        let n = batch.tokenCount, d = config.hiddenSize
        let x = workspace.residual.pointer, projection = workspace.projection.pointer
        rotary.reserve(positions: batch.longestSequence)

        func capture(_ point: Hook.Point, _ layer: Int) -> HookCapture? {
            guard stop == Hook(layer: layer, point: point) else { return nil }
            switch point {
            case .attnOut, .mlpOut:
                return HookCapture(hook: stop!, activations: Activations(copying: projection, rows: n, width: d),
                                   residual: Array(UnsafeBufferPointer(start: x, count: n * d)))
            case .residPre, .residMid, .residPost:
                return HookCapture(hook: stop!, activations: Activations(copying: x, rows: n, width: d), residual: nil)
            }
        }

        for layer in firstLayer..<config.layerCount {
            let done = layer == firstLayer ? completed : .residPre
            let block = weights.blocks[layer]
            if let result = capture(.residPre, layer) { return .captured(result) }
            if done < .attnOut { attention(block, batch) }
            if let result = capture(.attnOut, layer) { return .captured(result) }
            if done < .residMid { addRows(x, projection, rows: n) }
            if let result = capture(.residMid, layer) { return .captured(result) }
            if done < .mlpOut { mlp(block, rows: n) }
            if let result = capture(.mlpOut, layer) { return .captured(result) }
            if done < .residPost { addRows(x, projection, rows: n) }
            if let result = capture(.residPost, layer) { return .captured(result) }
        }
        normRows(x, weights.finalNorm!, into: workspace.normed.pointer, rows: n)
        return .finalHidden(Activations(copying: workspace.normed.pointer, rows: n, width: d))
    }

    /// projection = o_proj(attention(rope(norm(q)), rope(norm(k)), v)) with q, k, v = proj(rmsnorm(residual)).
    private func attention(_ block: Qwen3Weights.Block, _ batch: PackedBatch) {
        let n = batch.tokenCount, d = config.hiddenSize, headDim = config.headDim
        let qkvWidth = config.queryWidth + 2 * config.keyValueWidth
        let qkv = workspace.qkv.pointer, normed = workspace.normed.pointer
        normRows(workspace.residual.pointer, block.attentionNorm, into: normed, rows: n)
        block.qkv.withUnsafeBufferPointer { weight in
            linear(normed, rows: n, inputWidth: d, weight: weight.baseAddress!, outputWidth: qkvWidth, into: qkv)
        }
        let eps = config.rmsNormEps
        let queryHeads = config.headCount, keyHeads = config.kvHeadCount
        let rotary = self.rotary, positions = workspace.positions
        Parallelism.forEachRange(n) { rows in
            for row in rows {
                let heads = qkv + row * qkvWidth
                if let bias = block.qkvBias { addInPlace(heads, bias, count: qkvWidth) }
                for head in 0..<(queryHeads + keyHeads) {
                    let vector = heads + head * headDim
                    if let norm = head < queryHeads ? block.queryNorm : block.keyNorm {
                        rmsNorm(vector, weight: norm, eps: eps, count: headDim, into: vector)
                    }
                    rotary.apply(vector, position: positions[row])
                }
            }
        }
        causalAttention(qkv: qkv, batch: batch, config: config, into: workspace.attention.pointer, workspace: workspace)
        block.output.withUnsafeBufferPointer { weight in
            linear(workspace.attention.pointer, rows: n, inputWidth: config.queryWidth, weight: weight.baseAddress!,
                   outputWidth: d, into: workspace.projection.pointer)
        }
    }

    /// projection = down(silu(gate(h)) · up(h)) with h = rmsnorm(residual).
    private func mlp(_ block: Qwen3Weights.Block, rows n: Int) {
        let d = config.hiddenSize, inner = config.intermediateSize
        let hidden = workspace.mlp.pointer, normed = workspace.normed.pointer
        normRows(workspace.residual.pointer, block.mlpNorm, into: normed, rows: n)
        block.gateUp.withUnsafeBufferPointer { weight in
            linear(normed, rows: n, inputWidth: d, weight: weight.baseAddress!, outputWidth: 2 * inner, into: hidden)
        }
        Parallelism.forEachRange(n) { rows in
            for row in rows {
                let gate = hidden + row * 2 * inner
                siluMultiply(gate, by: gate + inner, count: inner)
            }
        }
        block.down.withUnsafeBufferPointer { weight in
            linear(hidden, rows: n, inputWidth: inner, inputStride: 2 * inner, weight: weight.baseAddress!,
                   outputWidth: d, into: workspace.projection.pointer)
        }
    }

    private func normRows(_ input: UnsafePointer<Float>, _ weight: [Float], into output: UnsafeMutablePointer<Float>, rows n: Int) {
        let d = config.hiddenSize, eps = config.rmsNormEps
        weight.withUnsafeBufferPointer { weight in
            Parallelism.forEachRange(n) { rows in
                for row in rows { rmsNorm(input + row * d, weight: weight.baseAddress!, eps: eps, count: d, into: output + row * d) }
            }
        }
    }

    private func addRows(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, rows n: Int) {
        let d = config.hiddenSize
        Parallelism.forEachRange(n) { rows in
            addInPlace(destination + rows.lowerBound * d, source + rows.lowerBound * d, count: rows.count * d)
        }
    }
}
