import Formats
import Foundation
import Parallelism

/// A decoder-only transformer's forward pass over packed batches, for any `DecoderSpec`: fp32 activations, weight
/// matrices in fp32 or bf16 (`ModelWeights.dtype`; the products go through MatrixBackend.swift).
///
/// Each block is attention then MLP on the residual stream, in the spec's topology (sequential, parallel or
/// sandwich); the pass can stop right after any hook (`forward(_:stopAt:)`) and resume from a captured, possibly
/// replaced, activation (`continueForward`). Not thread-safe: one model runs one pass at a time (its scratch
/// buffers are reused across calls).
public final class DecoderModel: LanguageModel {
    public let weights: ModelWeights
    public var spec: DecoderSpec { weights.spec }
    private var rotary: RotaryEmbedding?
    /// The sliding-window layers' table where their rotary settings differ (Gemma 3).
    private var slidingRotary: RotaryEmbedding?
    private let workspace = ForwardWorkspace()

    /// A model over loaded weights; `contextLength` only pre-sizes the rotary tables.
    public init(weights: ModelWeights, contextLength: Int = 1024) {
        BLAS.configure()
        self.weights = weights
        func table(_ positions: DecoderSpec.Positions?) -> RotaryEmbedding? {
            guard case .rotary(let dimensions, let theta, let scaling)? = positions else { return nil }
            return RotaryEmbedding(dimensions: dimensions, theta: theta, scaling: scaling, positions: contextLength)
        }
        rotary = table(weights.spec.positions)
        slidingRotary = table(weights.spec.slidingPositions)
    }

    /// Loads the model in a Hugging Face directory (`config.json` + safetensors); `blockCount` limits loading to
    /// the first blocks (see `ModelWeights`).
    public convenience init(modelDirectory: URL, contextLength: Int = 1024, blockCount: Int? = nil, dtype: WeightDType = .fp32) throws {
        self.init(
            weights: try ModelWeights(modelDirectory: modelDirectory, blockCount: blockCount, dtype: dtype), contextLength: contextLength)
    }

    public var layerCount: Int { spec.layerCount }
    public var hiddenSize: Int { spec.hiddenSize }
    public var vocabSize: Int { spec.vocabSize }

    /// The width of the activations at `hook`: the model width, or all heads' width for `attn.hook_z`.
    public func width(of hook: Hook) -> Int { hook.point == .attnZ ? spec.queryWidth : spec.hiddenSize }

    /// Whether replacing the activations at `hook` by zeros gives uniform predictions: true for the residual stream
    /// of a model without biases (a zero stream stays zero to the logits), so a zero ablation needs no pass.
    public func zeroAblationIsUniform(at hook: Hook) -> Bool { hook.point.isResidual && !spec.hasBiases }

    /// The names of the hooks this model has, in forward order.
    public var hookNames: [String] { spec.hookNames }

    /// Runs the blocks up to `hook` and returns its activation (nothing after the hook is computed).
    public func forward(_ batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture {
        try checkHook(hook)
        try embed(batch)
        if hook.point == .embed { return HookCapture(hook: hook, activations: copy(workspace.residual, batch.tokenCount, hiddenSize)) }
        guard case .captured(let capture) = run(batch, firstLayer: 0, completed: .embed, stopAt: hook) else {
            preconditionFailure("the pass ended without reaching \(hook)")
        }
        return capture
    }

    /// Runs the whole model and returns the final hidden states (after the final norm), `[tokenCount, hiddenSize]`:
    /// the LM head's input, see `logits` and `nextTokenStatistics`.
    public func forward(_ batch: PackedBatch) throws -> Activations {
        try checkComplete()
        try embed(batch)
        guard case .finalHidden(let hidden) = run(batch, firstLayer: 0, completed: .embed, stopAt: nil) else {
            preconditionFailure("a full pass stopped early")
        }
        return hidden
    }

    /// Runs the rest of the model from `capture` (same `batch` as the pass that made it), using
    /// `capture.activations` at the hook, and returns the final hidden states.
    public func continueForward(from capture: HookCapture, batch: PackedBatch) throws -> Activations {
        try checkComplete()
        let (firstLayer, completed) = try resume(from: capture, batch: batch)
        guard case .finalHidden(let hidden) = run(batch, firstLayer: firstLayer, completed: completed, stopAt: nil) else {
            preconditionFailure("a resumed pass stopped early")
        }
        return hidden
    }

    /// Runs on from `capture` (same `batch`) to the later hook `stop`: what `forward(batch, stopAt: stop)` returns,
    /// without running the blocks before `capture` again.
    public func continueForward(from capture: HookCapture, batch: PackedBatch, stopAt stop: Hook) throws -> HookCapture {
        try checkHook(stop)
        guard (capture.hook.layer, capture.hook.point) < (stop.layer, stop.point) else {
            throw InputError("cannot run on from \(capture.hook) to \(stop), which is not after it")
        }
        let (firstLayer, completed) = try resume(from: capture, batch: batch)
        guard case .captured(let result) = run(batch, firstLayer: firstLayer, completed: completed, stopAt: stop) else {
            preconditionFailure("the pass ended without reaching \(stop)")
        }
        return result
    }

    /// Puts `capture` back into the workspace for `batch`; returns the layer to run from and what it has completed.
    private func resume(from capture: HookCapture, batch: PackedBatch) throws -> (firstLayer: Int, completed: Hook.Point) {
        try checkHook(capture.hook)
        let n = batch.tokenCount, d = hiddenSize, width = width(of: capture.hook)
        guard capture.activations.rows == n, capture.activations.width == width, capture.residual.map({ $0.count == n * d }) ?? true else {
            throw InputError(
                "activations for \(capture.hook) are [\(capture.activations.rows), \(capture.activations.width)], "
                    + "but the batch needs [\(n), \(width)]")
        }
        try checkTokens(batch)
        workspace.prepare(for: batch, spec: spec)
        func restore(_ values: [Float], _ buffer: ForwardWorkspace.Buffer) {
            values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        let layer = capture.hook.layer
        var (firstLayer, completed) = (layer, capture.hook.point)
        if let residual = capture.residual { restore(residual, workspace.residual) }
        if let pending = capture.pending { restore(pending, workspace.projection) }
        let activations = capture.activations.values
        switch capture.hook.point {
        case .embed, .residPre, .residMid: restore(activations, workspace.residual)
        case .residPost:
            restore(activations, workspace.residual)
            (firstLayer, completed) = (layer + 1, .residPre)
        case .attnZ:
            restore(activations, workspace.attention)
            if let bias = valueBias(weights.blocks[layer]) {
                bias.withUnsafeBufferPointer { bias in
                    for row in 0..<n { addInPlace(workspace.attention.pointer + row * width, bias.baseAddress!, count: width) }
                }
            }
        case .attnOut: restore(activations, workspace.projection)
        case .ln2Normalized:
            restore(activations, workspace.normed)
            applyWeightAndBias(weights.blocks[layer].mlpNorm, to: workspace.normed.pointer, rows: n)
        case .mlpOut: restore(activations, workspace.mlpOutput)
        }
        return (firstLayer, completed)
    }

    /// Runs the rest of the model from `capture` once per entry of `replacements` (each `[n, width]` standing in for
    /// `capture.activations`; nil keeps them), all as one pass over the variants stacked row-wise
    /// (`replacements.count · n` rows: one sweep over the suffix's weights for every variant, and larger products).
    /// Returns the final hidden states variant after variant, `[replacements.count · n, d]`: the input of
    /// `nextTokenStatistics(batch:stackedHidden:runs:)`. Row for row equal to separate `continueForward` calls
    /// up to the products' summation order.
    public func continueForward(from capture: HookCapture, replacements: [Activations?], batch: PackedBatch) throws -> Activations {
        let n = batch.tokenCount, width = width(of: capture.hook)
        for replacement in replacements.compactMap({ $0 }) where replacement.rows != n || replacement.width != width {
            throw InputError("a replacement for \(capture.hook) is [\(replacement.rows), \(replacement.width)], but the batch needs [\(n), \(width)]")
        }
        guard replacements.count != 1 else {
            var single = capture
            if let replacement = replacements[0] { single.activations = replacement }
            return try continueForward(from: single, batch: batch)
        }
        var values: [Float] = []
        values.reserveCapacity(replacements.count * n * width)
        for replacement in replacements { values += (replacement ?? capture.activations).values }
        func repeated(_ rows: [Float]?) -> [Float]? { rows.map { Array(repeatElement($0, count: replacements.count).joined()) } }
        let stacked = HookCapture(
            hook: capture.hook, activations: Activations(rows: replacements.count * n, width: width, values: values),
            residual: repeated(capture.residual), pending: repeated(capture.pending))
        return try continueForward(from: stacked, batch: batch.repeated(replacements.count))
    }

    // MARK: - Checks

    private func checkHook(_ hook: Hook) throws {
        guard (0..<layerCount).contains(hook.layer) else {
            throw InputError("invalid hook \(hook): the model has blocks 0...\(layerCount - 1)")
        }
        guard hook.layer < weights.blockCount || hook.point == .embed else {
            throw InputError("hook \(hook) is past the \(weights.blockCount) blocks loaded")
        }
        if hook.point == .residMid && spec.residual == .parallel {
            throw InputError(
                "\(hook) does not exist in \(spec.family.rawValue)'s parallel blocks (attention and MLP both "
                    + "read hook_resid_pre and add to it together); use hook_resid_pre, hook_attn_out, hook_mlp_out or hook_resid_post")
        }
    }

    private func checkComplete() throws {
        guard weights.isComplete else {
            throw InputError(
                "only the first \(weights.blockCount) of \(layerCount) blocks are loaded, without the LM head; the full pass needs the whole model")
        }
    }

    private func checkTokens(_ batch: PackedBatch) throws {
        let vocabulary = Int32(vocabSize)
        if let row = batch.tokens.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw InputError("token id \(batch.tokens[row]) (row \(row) of the batch) is outside the model's vocabulary 0..<\(vocabulary)")
        }
        if case .learned(let count) = spec.positions, batch.longestSpan > count {
            throw InputError("a sequence of \(batch.longestSpan) tokens is longer than the model's \(count) learned positions")
        }
    }

    // MARK: - The pass

    private enum Outcome {
        case captured(HookCapture)
        case finalHidden(Activations)
    }

    /// residual[row] = embedding[token[row]] · scale (hook_embed; positions are added when the blocks start).
    private func embed(_ batch: PackedBatch) throws {
        try checkTokens(batch)
        workspace.prepare(for: batch, spec: spec)
        let d = hiddenSize, x = workspace.residual.pointer
        for (row, token) in batch.tokens.enumerated() { weights.embedding.copyRow(Int(token), into: x + row * d) }
        if let factor = spec.embeddingScale { scale(x, count: batch.tokenCount * d, by: factor) }
    }

    /// Runs blocks `firstLayer...` on the residual stream in the workspace. In `firstLayer`, the steps up to and
    /// including `completed` are already done (their results are in the workspace); `.embed` means that only the
    /// token embedding is.
    private func run(_ batch: PackedBatch, firstLayer: Int, completed: Hook.Point, stopAt stop: Hook?) -> Outcome {
        let n = batch.tokenCount, d = hiddenSize
        let x = workspace.residual.pointer
        let parallel = spec.residual == .parallel
        rotary?.reserve(positions: batch.longestSpan)
        slidingRotary?.reserve(positions: batch.longestSpan)
        if completed == .embed, let table = weights.positionEmbedding {
            let positions = workspace.positions
            table.withUnsafeBufferPointer { table in
                for row in 0..<n { addInPlace(x + row * d, table.baseAddress! + positions[row] * d, count: d) }
            }
        }

        func capture(_ point: Hook.Point, _ layer: Int) -> HookCapture? {
            guard stop == Hook(layer: layer, point: point) else { return nil }
            let residual = Array(UnsafeBufferPointer(start: x, count: n * d))
            let pending = parallel ? Array(UnsafeBufferPointer(start: workspace.projection.pointer, count: n * d)) : nil
            switch point {
            case .embed, .residPre, .residMid, .residPost:
                return HookCapture(hook: stop!, activations: copy(workspace.residual, n, d))
            case .attnZ:
                var z = copy(workspace.attention, n, spec.queryWidth)
                if let bias = valueBias(weights.blocks[layer]) {
                    z.values.withUnsafeMutableBufferPointer { z in
                        for row in 0..<n { for i in 0..<bias.count { z[row * bias.count + i] -= bias[i] } }
                    }
                }
                return HookCapture(hook: stop!, activations: z, residual: residual)
            case .attnOut:
                return HookCapture(hook: stop!, activations: copy(workspace.projection, n, d), residual: residual)
            case .ln2Normalized:
                return HookCapture(hook: stop!, activations: unitNormalized(x, rows: n), residual: residual, pending: pending)
            case .mlpOut:
                return HookCapture(hook: stop!, activations: copy(workspace.mlpOutput, n, d), residual: residual, pending: pending)
            }
        }

        for layer in firstLayer..<layerCount {
            let done = layer == firstLayer ? completed : .residPre
            let block = weights.blocks[layer]
            if let result = capture(.residPre, layer) { return .captured(result) }
            if done < .attnZ { attentionHeads(block, layer: layer, batch) }
            if let result = capture(.attnZ, layer) { return .captured(result) }
            if done < .attnOut {
                project(
                    workspace.attention.pointer, rows: n, dIn: spec.queryWidth, block.output, block.outputBias,
                    into: workspace.projection.pointer)
                if let norm = block.postAttentionNorm { normRows(workspace.projection.pointer, norm, into: workspace.projection.pointer, rows: n) }
            }
            if let result = capture(.attnOut, layer) { return .captured(result) }
            if !parallel {
                if done < .residMid { addRows(x, workspace.projection.pointer, rows: n) }
                if let result = capture(.residMid, layer) { return .captured(result) }
            }
            if done < .ln2Normalized { normRows(x, block.mlpNorm, into: workspace.normed.pointer, rows: n) }
            if let result = capture(.ln2Normalized, layer) { return .captured(result) }
            if done < .mlpOut { mlp(block, rows: n) }
            if let result = capture(.mlpOut, layer) { return .captured(result) }
            if done < .residPost {
                if parallel { addRows(x, workspace.projection.pointer, rows: n) }
                addRows(x, workspace.mlpOutput.pointer, rows: n)
            }
            if let result = capture(.residPost, layer) { return .captured(result) }
        }
        normRows(x, weights.finalNorm!, into: workspace.normed.pointer, rows: n)
        return .finalHidden(copy(workspace.normed, n, d))
    }

    /// attention = softmax(q·kᵀ)·v per head (attn.hook_z + b_V) with q, k, v = proj(norm(residual)), q and k
    /// normed per head (QK-norm) and rotated.
    private func attentionHeads(_ block: ModelWeights.Block, layer: Int, _ batch: PackedBatch) {
        let n = batch.tokenCount, d = hiddenSize, headDim = spec.headDim
        let qkvWidth = spec.queryWidth + 2 * spec.keyValueWidth
        let qkv = workspace.qkv.pointer, normed = workspace.normed.pointer
        normRows(workspace.residual.pointer, block.attentionNorm, into: normed, rows: n)
        linear(normed, rows: n, dIn: d, weight: block.qkv, into: qkv)
        let eps = spec.normEps
        let rotatedHeads = spec.headCount + spec.kvHeadCount
        let window = spec.slidingWindows[layer]
        let rotary = window != nil && slidingRotary != nil ? slidingRotary : self.rotary, positions = workspace.positions
        Parallelism.forEachRange(n) { rows in
            for row in rows {
                let heads = qkv + row * qkvWidth
                if let bias = block.qkvBias { addInPlace(heads, bias, count: qkvWidth) }
                for head in 0..<rotatedHeads {
                    let vector = heads + head * headDim
                    if let norm = head < spec.headCount ? block.queryNorm : block.keyNorm {
                        rmsNorm(vector, weight: norm, eps: eps, count: headDim, into: vector)
                    }
                    rotary?.apply(vector, position: positions[row])
                }
            }
        }
        causalAttention(
            qkv: qkv, batch: batch, spec: spec, window: window,
            into: workspace.attention.pointer, workspace: workspace)
    }

    /// mlpOutput = down(act(gate(h)) · up(h)) or down(act(up(h) + b)) + b, with h = the normed buffer, then the
    /// post-MLP norm of sandwich blocks.
    private func mlp(_ block: ModelWeights.Block, rows n: Int) {
        let d = hiddenSize, inner = spec.intermediateSize, width = (spec.gatedMLP ? 2 : 1) * inner
        let hidden = workspace.mlp.pointer, activation = spec.activation, gated = spec.gatedMLP
        linear(workspace.normed.pointer, rows: n, dIn: d, weight: block.mlpIn, into: hidden)
        Parallelism.forEachRange(n) { rows in
            for row in rows {
                let values = hidden + row * width
                if let bias = block.mlpInBias { addInPlace(values, bias, count: width) }
                if gated {
                    activateMultiply(values, by: values + inner, count: inner, activation)
                } else {
                    activate(values, count: inner, activation)
                }
            }
        }
        project(hidden, rows: n, dIn: inner, inputStride: width, block.down, block.downBias, into: workspace.mlpOutput.pointer)
        if let norm = block.postMLPNorm { normRows(workspace.mlpOutput.pointer, norm, into: workspace.mlpOutput.pointer, rows: n) }
    }

    // MARK: - Builders

    /// output = input · weightᵀ (+ bias), `[n, d]`.
    private func project(
        _ input: UnsafePointer<Float>, rows n: Int, dIn: Int, inputStride: Int? = nil,
        _ weight: WeightMatrix, _ bias: [Float]?, into output: UnsafeMutablePointer<Float>
    ) {
        let d = hiddenSize
        linear(input, rows: n, dIn: dIn, inputStride: inputStride, weight: weight, into: output)
        guard let bias else { return }
        Parallelism.forEachRange(n) { rows in
            for row in rows { addInPlace(output + row * d, bias, count: d) }
        }
    }

    /// The spec's normalization of `n` rows of width d; `output` may be `input`.
    private func normRows(_ input: UnsafePointer<Float>, _ norm: ModelWeights.Norm, into output: UnsafeMutablePointer<Float>, rows n: Int) {
        let d = hiddenSize, eps = spec.normEps
        norm.weight.withUnsafeBufferPointer { weight in
            let weight = weight.baseAddress!
            switch spec.normalization {
            case .rms:
                Parallelism.forEachRange(n) { rows in
                    for row in rows { rmsNorm(input + row * d, weight: weight, eps: eps, count: d, into: output + row * d) }
                }
            case .layer:
                (norm.bias ?? [Float](repeating: 0, count: d)).withUnsafeBufferPointer { bias in
                    let bias = bias.baseAddress!
                    Parallelism.forEachRange(n) { rows in
                        for row in rows { layerNorm(input + row * d, weight: weight, bias: bias, eps: eps, count: d, into: output + row * d) }
                    }
                }
            }
        }
    }

    /// `ln2.hook_normalized` as TransformerLens has it: the rows centered (LayerNorm) and divided by their RMS, without
    /// the norm's weight and bias. TransformerLens folds those into the next weights (`LayerNormPre`, `RMSNormPre`;
    /// its unfolded `RMSNorm` also hooks before the weight).
    private func unitNormalized(_ input: UnsafePointer<Float>, rows n: Int) -> Activations {
        let d = hiddenSize
        var values = [Float](repeating: 0, count: n * d)
        values.withUnsafeMutableBufferPointer { out in
            normRows(input, ModelWeights.Norm(weight: [Float](repeating: 1, count: d), bias: nil), into: out.baseAddress!, rows: n)
        }
        return Activations(rows: n, width: d, values: values)
    }

    /// rows · weight + bias: the affine part of `norm` on `unitNormalized` rows (the MLP's input again).
    private func applyWeightAndBias(_ norm: ModelWeights.Norm, to rows: UnsafeMutablePointer<Float>, rows n: Int) {
        let d = hiddenSize
        norm.weight.withUnsafeBufferPointer { weight in
            for row in 0..<n {
                let values = rows + row * d
                for i in 0..<d { values[i] *= weight[i] }
                if let bias = norm.bias { for i in 0..<d { values[i] += bias[i] } }
            }
        }
    }

    private func addRows(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, rows n: Int) {
        let d = hiddenSize
        Parallelism.forEachRange(n) { rows in
            addInPlace(destination + rows.lowerBound * d, source + rows.lowerBound * d, count: rows.count * d)
        }
    }

    /// Each query head's value bias (that of the key/value head it reads), `[queryWidth]`, or nil without q/k/v biases.
    private func valueBias(_ block: ModelWeights.Block) -> [Float]? {
        guard let bias = block.qkvBias else { return nil }
        let headDim = spec.headDim, groupSize = spec.headCount / spec.kvHeadCount
        let start = spec.queryWidth + spec.keyValueWidth
        var result: [Float] = []
        for head in 0..<spec.headCount {
            let first: Int = start + head / groupSize * headDim
            result += bias[first..<(first + headDim)]
        }
        return result
    }

    private func copy(_ buffer: ForwardWorkspace.Buffer, _ rows: Int, _ width: Int) -> Activations {
        Activations(copying: buffer.pointer, rows: rows, width: width)
    }
}
