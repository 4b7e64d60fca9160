import Foundation

/// The seed's `plots/training_history.png`: one panel per curve (total loss, reconstruction, L1, L0 — the seed's
/// four, then any validation curves), each a line over epochs with its own y range. Titles and axis values are
/// drawn with `BitmapFont`, so the PNG reads on its own.
public enum TrainingHistoryChart {
    static let preferredOrder = ["loss", "recon_loss", "l1_loss", "sparsity", "val_loss", "val_recon_loss"]

    /// The PNG of a history's per-epoch curves by name, or nil when none has at least one finite value.
    public static func png(curves history: [String: [Double]]) -> Data? {
        let names = preferredOrder.filter { history[$0] != nil }
        let curves = names.compactMap { name -> (String, [Double])? in
            let values = history[name]!.filter(\.isFinite)
            return values.isEmpty ? nil : (name, history[name]!)
        }
        guard !curves.isEmpty else { return nil }
        let panelWidth = 300, panelHeight = 200, margin = 36
        var raster = Raster(width: panelWidth * curves.count, height: panelHeight)
        for (index, (name, values)) in curves.enumerated() {
            let x0 = index * panelWidth
            let plot = (x: x0 + margin + 14, y: 22, width: panelWidth - margin - 26, height: panelHeight - 22 - 28)
            BitmapFont.draw(name, x: x0 + margin + 14, y: 6, color: .axis, into: &raster)
            for i in 0...4 { raster.fill(x: plot.x, y: plot.y + i * (plot.height - 1) / 4, width: plot.width, height: 1, .grid) }
            raster.fill(x: plot.x, y: plot.y, width: 1, height: plot.height, .axis)
            raster.fill(x: plot.x, y: plot.y + plot.height - 1, width: plot.width, height: 1, .axis)
            let finite = values.filter(\.isFinite)
            var low = finite.min()!, high = finite.max()!
            if high - low < 1e-12 * max(1, abs(high)) { low -= 0.5; high += 0.5 }
            BitmapFont.draw(short(high), x: x0 + 2, y: plot.y - 3, color: .axis, into: &raster)
            BitmapFont.draw(short(low), x: x0 + 2, y: plot.y + plot.height - 5, color: .axis, into: &raster)
            BitmapFont.draw("0", x: plot.x - 2, y: plot.y + plot.height + 4, color: .axis, into: &raster)
            let lastEpoch = "\(values.count - 1)"
            BitmapFont.draw(lastEpoch, x: plot.x + plot.width - 6 * lastEpoch.count, y: plot.y + plot.height + 4, color: .axis, into: &raster)
            BitmapFont.draw("EPOCH", x: plot.x + plot.width / 2 - 15, y: plot.y + plot.height + 4, color: .axis, into: &raster)
            func point(_ i: Int) -> (Int, Int)? {
                guard values[i].isFinite else { return nil }
                let px = plot.x + (values.count == 1 ? plot.width / 2 : i * (plot.width - 1) / (values.count - 1))
                let py = plot.y + Int(((high - values[i]) / (high - low) * Double(plot.height - 1)).rounded())
                return (px, py)
            }
            var previous: (Int, Int)?
            for i in values.indices {
                guard let current = point(i) else { previous = nil; continue }
                if let previous { line(from: previous, to: current, into: &raster) }
                raster.fill(x: current.0 - 2, y: current.1 - 2, width: 5, height: 5, .bar)
                previous = current
            }
        }
        return try? PNGWriter.encode(raster)
    }

    private static func line(from a: (Int, Int), to b: (Int, Int), into raster: inout Raster) {
        let steps = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
        for s in 0...steps {
            let x = a.0 + (b.0 - a.0) * s / steps, y = a.1 + (b.1 - a.1) * s / steps
            raster.fill(x: x, y: y - 1, width: 1, height: 2, .bar)
        }
    }

    static func short(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 0.01 || magnitude >= 100_000) { return String(format: "%.1e", value) }
        return String(format: magnitude >= 100 ? "%.0f" : "%.3g", value)
    }
}
