import Formats
/// One shard of a run split across machines: `index` of `count`, 1-based as written on the command line
/// (`--shard 3/8`). The corpus is packed into batches exactly as a single run packs it, and shard `i` takes the
/// `i`-th of `count` contiguous runs of batches holding about the same number of tokens, so the shards together
/// process the same batches a single run does.
public struct ShardSpec: Codable, Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw InputError("shard \(index)/\(count) is not valid: write i/n with 1 ≤ i ≤ n")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw InputError("shard '\(text)' is not of the form i/n (e.g. 2/8)")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's batches among batches of the given token counts: the boundary before shard `i` is the first
    /// batch whose preceding tokens reach `(i−1)/n` of the total.
    public func batches(tokenCounts: [Int]) -> Range<Int> {
        let total = tokenCounts.reduce(0, +)
        func boundary(_ shard: Int) -> Int {
            guard shard > 0 else { return 0 }
            guard shard < count else { return tokenCounts.count }
            let target = total * shard  // compare `before * count` with `total * shard` to stay in integers
            var before = 0
            for (batch, tokens) in tokenCounts.enumerated() {
                if before * count >= target { return batch }
                before += tokens
            }
            return tokenCounts.count
        }
        return boundary(index - 1)..<boundary(index)
    }
}
