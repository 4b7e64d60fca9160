import Foundation
@testable import LMRuntime
@testable import SiteGen
import Testing

@Suite struct EscapingTests {
    @Test func htmlEscapesMarkupAndQuotes() {
        #expect(
            HTMLEscaping.escape("<script>alert('x')</script> & \"q\"")
                == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(HTMLEscaping.escape("plain \u{FFFD} μ") == "plain \u{FFFD} μ")
    }

    @Test func jsonStringsCannotCloseAScriptOrBreakALine() throws {
        let nasty = "</script><!-- \u{2028}\u{2029} \"q\" \\ \n\t\u{01} & é"
        let quoted = JSONEscaping.quoted(nasty)
        #expect(!quoted.contains("</"))
        #expect(!quoted.contains("<!--"))
        #expect(!quoted.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" || $0.value < 0x20 })
        // It is still the same string to a JSON parser.
        let decoded = try JSONDecoder().decode([String].self, from: Data("[\(quoted)]".utf8))
        #expect(decoded == [nasty])
    }

    @Test func examplesEscapeTokensAndMarkTheTarget() {
        let example = FeatureRecord.Example(
            token: "<b>", activation: 2, context: nil, position: 3, textIndex: 0,
            contextTokens: ["a", "<script>", "&", "<b>", "\n", "\u{FFFD}"], contextActivations: [0, 1, 0, 2, 0, 0.5],
            targetIndex: 3)
        let html = ExampleHTML.render(example, scale: 2)
        #expect(!html.contains("<script>") && !html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;") && html.contains("&amp;"))
        #expect(html.contains("<span class=\"t tgt\" style=\"--a:1.00\" title=\"2.00\">&lt;b&gt;<span class=\"vh\"> [marked, activation 2.00]</span></span>"))
        #expect(html.contains("title=\"1.00\">&lt;script&gt;<span class=\"vh\"> [activation 1.00]</span></span>"))
        #expect(html.contains("↵"))
        #expect(html.contains("\u{FFFD}"))
    }

    @Test func seedExamplesShowTokenAndContext() {
        let example = FeatureRecord.Example(
            token: " \"you\"", activation: 4.1, context: "Let  us  <say> & go",
            position: 8, textIndex: 42, contextTokens: nil, contextActivations: nil,
            targetIndex: nil)
        let html = ExampleHTML.render(example, scale: 5)
        #expect(html == "<span class=\"seedtok\" title=\"4.10\"> &quot;you&quot;</span>Let  us  &lt;say&gt; &amp; go")
    }

    @Test func markdownRendersAndDropsRawHTML() {
        let html = Markdown.html("# Title\n\n- a & b\n\n<script>alert(1)</script>\n\n| x | y |\n")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<li>a &amp; b</li>"))
        #expect(!html.contains("<script>"))
    }
}
