import Formats
/// A TransformerLens hook point, such as `blocks.9.hook_resid_post`, `blocks.3.attn.hook_z` or `hook_embed`.
///
/// Within block `L` the forward pass reaches them in the order of `Point`:
/// `resid_pre` (the block's input) → `attn.hook_z` (the heads' outputs before the output projection, `[n_heads·d_head]`,
/// without the value bias, which TransformerLens folds into the output bias) → `attn_out` (what attention adds to the
/// residual stream: after the post-attention norm on Gemma) → `resid_mid` (`resid_pre + attn_out`; not in parallel
/// blocks) → `ln2.hook_normalized` (the MLP's input normalized, without the norm's weight and bias, which
/// TransformerLens folds into the MLP) → `mlp_out` (what the MLP adds) → `resid_post`
/// (the block's output, block `L+1`'s `resid_pre`). `hook_embed` is the scaled token embedding, before positions.
public struct Hook: Hashable, Sendable, CustomStringConvertible {
    /// A hook point's place within a block.
    public enum Point: String, CaseIterable, Sendable, Comparable {
        case embed = "hook_embed"
        case residPre = "hook_resid_pre"
        case attnZ = "attn.hook_z"
        case attnOut = "hook_attn_out"
        case residMid = "hook_resid_mid"
        case ln2Normalized = "ln2.hook_normalized"
        case mlpOut = "hook_mlp_out"
        case residPost = "hook_resid_post"

        private var order: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Point, rhs: Point) -> Bool { lhs.order < rhs.order }

        /// The points of a block (all but `embed`).
        public static var blockPoints: [Point] { allCases.filter { $0 != .embed } }

        /// Whether the point is the residual stream itself (what a zero ablation at it zeroes).
        public var isResidual: Bool { [.embed, .residPre, .residMid, .residPost].contains(self) }
    }

    /// The block index, from 0 (0 for `hook_embed`).
    public var layer: Int
    /// The point within the block.
    public var point: Point

    public init(layer: Int, point: Point) {
        self.layer = point == .embed ? 0 : layer
        self.point = point
    }

    /// Parses `hook_embed` or `blocks.L.NAME`, checking that `L` is a block of a model with `layerCount` blocks.
    /// Throws an `InputError` that names the valid layers and points.
    public init(parsing name: String, layerCount: Int) throws {
        let valid =
            "expected hook_embed or blocks.L.NAME with L in 0...\(layerCount - 1) and NAME one of "
            + Point.blockPoints.map(\.rawValue).joined(separator: ", ")
        if name == Point.embed.rawValue {
            self.init(layer: 0, point: .embed)
            return
        }
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), String(layer) == parts[1] else {
            throw InputError("invalid hook \"\(name)\": \(valid)")
        }
        guard let point = Point(rawValue: String(parts[2])), point != .embed else {
            throw InputError("invalid hook \"\(name)\": unknown hook point \"\(parts[2])\"; \(valid)")
        }
        guard (0..<layerCount).contains(layer) else {
            throw InputError("invalid hook \"\(name)\": the model has \(layerCount) blocks; \(valid)")
        }
        self.init(layer: layer, point: point)
    }

    /// The number of blocks (from block 0) a pass to this hook runs, and so the most a job stopping here loads.
    public var blocksNeeded: Int { point == .embed ? 0 : layer + 1 }

    /// The TransformerLens name, `blocks.L.NAME` or `hook_embed`.
    public var description: String { point == .embed ? point.rawValue : "blocks.\(layer).\(point.rawValue)" }
}
