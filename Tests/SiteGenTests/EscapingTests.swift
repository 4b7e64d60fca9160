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
        #expect(
            html.contains(
                "<span class=\"t tgt\" tabindex=\"0\" style=\"--a:1.00\" data-act=\"2.00\">&lt;b&gt;<span class=\"pop\" aria-hidden=\"true\">activation 2.00</span><span class=\"vh\"> [marked, activation 2.00]</span></span>"
            ))
        #expect(
            html.contains(
                "data-act=\"1.00\">&lt;script&gt;<span class=\"pop\" aria-hidden=\"true\">activation 1.00</span><span class=\"vh\"> [activation 1.00]</span></span>"
            ))
        #expect(html.contains("↵"))
        #expect(html.contains("\u{FFFD}"))
    }

    /// Line breaks and tabs inside tokens are shown as symbols: "\r\n" (one Character, which the earlier Character
    /// test missed) as one ↵, a lone "\r" or "\n" as one each, around escaped and multi-byte text.
    @Test func lineBreaksAndTabsInTokensAreVisible() {
        let lineBreak = "<span class=\"nl\">↵</span>", tab = "<span class=\"nl\">⇥</span>"
        #expect(ExampleHTML.visible("\r\n") == lineBreak)
        #expect(ExampleHTML.visible("a\r\r\n\n<é>\tb") == "a" + lineBreak + lineBreak + lineBreak + "&lt;é&gt;" + tab + "b")
        #expect(ExampleHTML.visible(" plain μ") == " plain μ")
        #expect(ExampleHTML.visible("") == "<span class=\"nl\">∅</span>")
    }

    /// Loss effects: later tokens underlined by the effect on predicting them, the values in the tooltip, the hidden
    /// text and the data attributes; tokens the removal cannot change stay plain.
    @Test func lossEffectsUnderlineLaterTokens() {
        let effects = try! JSONDecoder().decode(
            FeatureRecord.LossEffects.self,
            from: Data(
                #"{"delta_loss": [null, null, 0.5, -0.25], "kl": [null, null, 0.1, 0.02], "direct_delta_loss": [null, null, 0.4, null], "direct_kl": [null, null, 0.05, null]}"#
                    .utf8))
        var example = FeatureRecord.Example(
            token: "b", activation: 2, contextTokens: ["a", "b", "<c>", "d"], contextActivations: [0, 2, 0, 0], targetIndex: 1)
        example.lossEffects = effects
        let html = ExampleHTML.render(example, scale: 2, lossScale: ExampleHTML.lossScale([example]))
        #expect(html.hasPrefix("a<span class=\"t tgt\" tabindex=\"0\" style=\"--a:1.00\" data-act=\"2.00\">b"))
        #expect(
            html.contains(
                "<span class=\"t up\" tabindex=\"0\" style=\"--a:0.00;--l:1.00\" data-act=\"0\" data-dloss=\"+0.500\" data-dloss-direct=\"+0.400\">&lt;c&gt;<span class=\"pop\" aria-hidden=\"true\">activation 0; Δloss +0.500, KL 0.100; direct path Δloss +0.400, KL 0.0500</span>"
            ))
        #expect(html.contains("<span class=\"t dn\" tabindex=\"0\" style=\"--a:0.00;--l:0.50\" data-act=\"0\" data-dloss=\"-0.250\">d"))
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
