import CCmark
import Foundation

/// CommonMark to HTML with libcmark. Raw HTML in the Markdown is not passed through (cmark's safe default
/// replaces it with a comment), so a README cannot inject markup into the site.
public enum Markdown {
    public static func html(_ markdown: String) -> String {
        var source = markdown
        return source.withUTF8 { bytes in
            guard let base = bytes.baseAddress,
                let rendered = cmark_markdown_to_html(
                    UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), bytes.count,
                    CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)
            else { return "" }
            defer { free(rendered) }
            return String(cString: rendered)
        }
    }
}
