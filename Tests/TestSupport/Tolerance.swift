/// The tolerances the reference comparisons use: float32 results against float64 references (numpy, PyTorch).
public enum Tolerance {
    /// Relative error allowed against a reference value.
    public static let relative = 1e-4
    /// Absolute floor for values near zero.
    public static let absolute = 1e-5
}

/// `|a − b| ≤ relative·|b| + absolute`; false when `a` is missing.
public func isClose(
    _ a: Double?, _ b: Double, relative: Double = Tolerance.relative,
    absolute: Double = Tolerance.absolute
) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= relative * abs(b) + absolute
}
