import Formats
/// A TransformerLens hook point of a decoder block, such as `blocks.9.hook_resid_post`.
///
/// Within block `L` the forward pass reaches them in the order of `Point`:
/// `resid_pre` (the block's input) → `attn_out` (attention's output projection) → `resid_mid` (`resid_pre + attn_out`)
/// → `mlp_out` (the MLP's down projection) → `resid_post` (`resid_mid + mlp_out`, which is block `L+1`'s `resid_pre`).
public struct Hook: Hashable, Sendable, CustomStringConvertible {
    /// A hook point's place within a block.
    public enum Point: String, CaseIterable, Sendable, Comparable {
        case residPre = "hook_resid_pre"
        case attnOut = "hook_attn_out"
        case residMid = "hook_resid_mid"
        case mlpOut = "hook_mlp_out"
        case residPost = "hook_resid_post"

        private var order: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Point, rhs: Point) -> Bool { lhs.order < rhs.order }
    }

    /// The block index, from 0.
    public var layer: Int
    /// The point within the block.
    public var point: Point

    public init(layer: Int, point: Point) {
        self.layer = layer
        self.point = point
    }

    /// Parses `blocks.L.NAME`, checking that `L` is a block of a model with `layerCount` blocks.
    /// Throws an `InputError` that names the valid layers and points.
    public init(parsing name: String, layerCount: Int) throws {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = "expected blocks.L.NAME with L in 0...\(layerCount - 1) and NAME one of "
            + Point.allCases.map(\.rawValue).joined(separator: ", ")
        guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), String(layer) == parts[1] else {
            throw InputError("invalid hook \"\(name)\": \(valid)")
        }
        guard let point = Point(rawValue: String(parts[2])) else {
            throw InputError("invalid hook \"\(name)\": unknown hook point \"\(parts[2])\"; \(valid)")
        }
        guard (0..<layerCount).contains(layer) else {
            throw InputError("invalid hook \"\(name)\": the model has \(layerCount) blocks; \(valid)")
        }
        self.init(layer: layer, point: point)
    }

    /// The TransformerLens name, `blocks.L.NAME`.
    public var description: String { "blocks.\(layer).\(point.rawValue)" }
}
