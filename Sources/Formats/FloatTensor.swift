/// A dense tensor of `Float` values in row-major (C) order.
public struct FloatTensor: Equatable, Sendable {
    /// The size of each dimension, outermost first. An empty shape is a scalar holding one value.
    public var shape: [Int]
    /// The elements in row-major order; `values.count` is the product of `shape`.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// The number of elements, the product of `shape`.
    public var count: Int { values.count }
}
