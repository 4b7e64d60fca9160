/// One token where a feature fired: its database row and the activation there.
public struct ActivationExample: Equatable, Sendable {
    public var row: Int
    public var value: Float

    public init(row: Int, value: Float) {
        self.row = row
        self.value = value
    }

    /// Ranking order: larger value first, then earlier row (so ties keep corpus order).
    @inlinable
    static func ranksAbove(_ a: ActivationExample, _ b: ActivationExample) -> Bool {
        a.value != b.value ? a.value > b.value : a.row < b.row
    }
}

/// The `k` highest activations of every feature, kept while rows stream past in one bounded min-heap per
/// feature (memory `dSae × k`, independent of the corpus length).
public struct TopExamples: Sendable {
    public let dSae: Int
    public let k: Int
    /// `dSae` heaps of up to `k` examples each; the root (index 0) is the weakest kept example.
    private var heaps: [ActivationExample]
    private var sizes: [Int]

    public init(dSae: Int, k: Int) {
        precondition(k > 0)
        self.dSae = dSae
        self.k = k
        heaps = Array(repeating: ActivationExample(row: 0, value: 0), count: dSae * k)
        sizes = Array(repeating: 0, count: dSae)
    }

    /// Offers one token's positive activations; rows must arrive in increasing order for ties to keep corpus order.
    public mutating func add(row: Int, features: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) {
        for (feature, value) in zip(features, values) where value > 0 {
            offer(ActivationExample(row: row, value: value), to: Int(feature))
        }
    }

    /// Offers every row of an activation database.
    public mutating func add(_ database: ActivationDatabase) {
        database.forEachRow { row, features, values in add(row: row, features: features, values: values) }
    }

    /// The kept examples of `feature`, best first.
    public func examples(of feature: Int) -> [ActivationExample] {
        let base = feature * k
        return heaps[base..<base + sizes[feature]].sorted(by: ActivationExample.ranksAbove)
    }

    private mutating func offer(_ example: ActivationExample, to feature: Int) {
        let base = feature * k
        let size = sizes[feature]
        if size < k {
            heaps[base + size] = example
            sizes[feature] = size + 1
            siftUp(base: base, index: size)
        } else if ActivationExample.ranksAbove(example, heaps[base]) {
            heaps[base] = example
            siftDown(base: base, size: k)
        }
    }

    /// Min-heap on rank: a parent ranks below (is weaker than) its children.
    private mutating func siftUp(base: Int, index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard ActivationExample.ranksAbove(heaps[base + parent], heaps[base + child]) else { return }
            heaps.swapAt(base + parent, base + child)
            child = parent
        }
    }

    private mutating func siftDown(base: Int, size: Int) {
        var parent = 0
        while true {
            var weakest = parent
            let left = 2 * parent + 1, right = left + 1
            if left < size, ActivationExample.ranksAbove(heaps[base + weakest], heaps[base + left]) { weakest = left }
            if right < size, ActivationExample.ranksAbove(heaps[base + weakest], heaps[base + right]) { weakest = right }
            guard weakest != parent else { return }
            heaps.swapAt(base + parent, base + weakest)
            parent = weakest
        }
    }
}
