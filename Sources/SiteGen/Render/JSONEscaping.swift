/// JSON string literals that are also safe inside a `<script>` element or a `.js` file.
public enum JSONEscaping {
    /// `text` as a double-quoted JSON string. Besides JSON's own escapes, `<`, `>` and `&` become `\u003c`-style
    /// escapes (so `</script>` and `<!--` cannot end or change a script block) and U+2028/U+2029 become
    /// `\u2028`/`\u2029` (line terminators in older JavaScript string literals).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }
}
