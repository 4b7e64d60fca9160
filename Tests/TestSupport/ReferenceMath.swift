import Foundation

/// Plain float64 formulas the numeric code is checked against, written once.
public enum ReferenceMath {
    /// log softmax of one row of logits.
    public static func logSoftmax<C: Collection>(_ logits: C) -> [Double] where C.Element: BinaryFloatingPoint {
        let row = logits.map(Double.init)
        let largest = row.max()!
        let logSum = largest + log(row.reduce(0) { $0 + exp($1 - largest) })
        return row.map { $0 - logSum }
    }

    /// KL(p ‖ q) from the log-probabilities of p and q.
    public static func kl(logP: [Double], logQ: [Double]) -> Double {
        zip(logP, logQ).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }
}
