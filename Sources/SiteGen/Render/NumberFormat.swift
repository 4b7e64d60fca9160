import Foundation

/// Fast fixed-point and compact number formatting for pages (Foundation's `String(format:)` is slow on Linux
/// and the site formats millions of numbers).
public enum NumberFormat {
    /// `value` with `digits` digits after the point (0–9); "NaN", "∞", "−∞" for non-finite values.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if abs(value) >= 1e15 { return scientific(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        var whole = Int64(scaled / scale)
        var fraction = Int64(scaled - Double(whole) * scale)
        if fraction < 0 { whole -= 1; fraction += Int64(scale) }
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
        }
        return text
    }

    /// Three significant digits, switching to scientific notation outside [1e-3, 1e6): for activation values,
    /// frequencies and other numbers of unknown scale.
    public static func short(_ value: Double) -> String {
        guard value.isFinite else { return fixed(value, 0) }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1e-3 || magnitude >= 1e6 { return scientific(value) }
        if magnitude >= 100 { return fixed(value, 0) }
        if magnitude >= 10 { return fixed(value, 1) }
        if magnitude >= 1 { return fixed(value, 2) }
        if magnitude >= 0.1 { return fixed(value, 3) }
        if magnitude >= 0.01 { return fixed(value, 4) }
        return fixed(value, 5)
    }

    /// Six significant digits without trailing zeros (scientific outside [1e-4, 1e9)): for headline metrics,
    /// where 0.99983 and 1.000 must stay apart.
    public static func precise(_ value: Double) -> String {
        guard value.isFinite else { return fixed(value, 0) }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1e-4 || magnitude >= 1e9 { return scientific(value) }
        var text = fixed(value, min(9, max(0, 5 - Int(log10(magnitude).rounded(.down)))))
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `value` as `d.dde±x`.
    public static func scientific(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return fixed(value, 0) }
        var exponent = Int((log10(abs(value))).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs((abs(mantissa) * 100).rounded()) >= 1000 { mantissa /= 10; exponent += 1 }
        return fixed(mantissa, 2) + "e" + (exponent < 0 ? "-" : "+") + String(abs(exponent))
    }

    /// An integer with thousands separators: 2,226,141.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }

    /// A fraction as a percentage with `digits` decimals: 0.0312 → "3.12%".
    public static func percent(_ fraction: Double, _ digits: Int = 2) -> String {
        fixed(fraction * 100, digits) + "%"
    }
}
