import Formats
import Foundation

/// The seed's `history.json`: per-epoch curves (`loss`, `recon_loss`, `l1_loss`, `sparsity`, `val_*`, ...).
public struct TrainingHistory: Equatable, Sendable, Codable {
    /// Each curve by key, one value per epoch. Keys whose value is not a list of numbers are skipped.
    public var curves: [String: [Double]]

    public init(curves: [String: [Double]]) {
        self.curves = curves
    }

    /// Reads `history.json`; it must be a JSON object. Nulls inside a curve become NaN.
    public init(contentsOf url: URL) throws {
        let config = try JSONConfig(contentsOf: url)
        var curves: [String: [Double]] = [:]
        for (key, value) in config.members {
            guard case .array(let items) = value else { continue }
            var curve: [Double] = []
            for item in items {
                switch item {
                case .int(let number): curve.append(Double(number))
                case .double(let number): curve.append(number)
                case .null: curve.append(.nan)
                default: curve = []
                }
                if curve.isEmpty { break }
            }
            if curve.count == items.count, !curve.isEmpty { curves[key] = curve }
        }
        self.curves = curves
    }

    /// The number of epochs: the length of the longest curve.
    public var epochs: Int { curves.values.map(\.count).max() ?? 0 }

    /// First and last value of each curve, keys sorted.
    public var summary: [(key: String, first: Double, last: Double)] {
        curves.keys.sorted().map { key in (key, curves[key]!.first!, curves[key]!.last!) }
    }
}
