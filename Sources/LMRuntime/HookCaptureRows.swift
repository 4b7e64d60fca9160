extension HookCapture {
    /// The capture of some rows of its batch, in the order given (a row may repeat), with what resuming needs of
    /// each: the start of `DecoderModel.continueForward` over a batch made of those rows' tokens, e.g. prefixes of the
    /// batch's sequences, each rerun as a sequence of its own.
    public func gathering(rows: [Int]) -> HookCapture {
        func gather(_ values: [Float], width: Int) -> [Float] {
            var result = [Float]()
            result.reserveCapacity(rows.count * width)
            for row in rows { result += values[(row * width)..<((row + 1) * width)] }
            return result
        }
        let n = activations.rows
        return HookCapture(
            hook: hook,
            activations: Activations(
                rows: rows.count, width: activations.width, values: gather(activations.values, width: activations.width)),
            residual: residual.map { gather($0, width: $0.count / max(n, 1)) },
            pending: pending.map { gather($0, width: $0.count / max(n, 1)) })
    }
}

extension HookCapture {
    /// The captures' rows one after another (all at the same hook): the capture of a batch made of their batches'
    /// rows in that order.
    public static func concatenating(_ parts: [HookCapture]) -> HookCapture {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.hook == parts[0].hook }, "captures at one hook")
        func joined(_ arrays: [[Float]?]) -> [Float]? { arrays.contains(nil) ? nil : arrays.flatMap { $0! } }
        return HookCapture(
            hook: parts[0].hook,
            activations: Activations(
                rows: parts.reduce(0) { $0 + $1.activations.rows }, width: parts[0].activations.width,
                values: parts.flatMap(\.activations.values)),
            residual: joined(parts.map(\.residual)), pending: joined(parts.map(\.pending)))
    }
}
