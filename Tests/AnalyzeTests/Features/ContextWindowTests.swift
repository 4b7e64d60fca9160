@testable import Analyze
import Testing

/// Shown example windows: the target in the middle, both edges on word boundaries where the budget allows.
@Suite struct ContextWindowTests {
    func shown(_ pieces: [String], target: Int, before: String? = nil, after: String? = nil, budget: Int) -> String {
        pieces[ContextWindow(pieces: pieces, target: target, before: before, after: after, charactersPerSide: budget).range].joined()
    }

    @Test func leftEdgeDoesNotCutAWord() {
        // "the o|xidation number of iron": a budget that reaches into "oxidation" drops its tail "xidation".
        let pieces = ["the", " o", "xidation", " number", " of", " iron", " is"]
        #expect(shown(pieces, target: 4, budget: 15) == " number of iron is")
        #expect(shown(pieces, target: 4, budget: 17) == " oxidation number of iron is")
    }

    @Test func rightEdgeDoesNotCutAWord() {
        let pieces = ["It", " is", " un", "believ", "able", "."]
        #expect(shown(pieces, target: 1, budget: 9) == "It is")
        #expect(shown(pieces, target: 1, budget: 13) == "It is unbelievable")
        #expect(shown(pieces, target: 1, budget: 14) == "It is unbelievable.")
    }

    @Test func tokensOutsideTheContextDecideTheEdges() {
        let pieces = ["xidation", " number", " of"]
        #expect(shown(pieces, target: 1, before: " o", after: " iron", budget: 40) == " number of")
        #expect(shown(pieces, target: 1, before: nil, after: "ness", budget: 40) == "xidation number")
        #expect(shown(pieces, target: 1, before: " ", after: ".", budget: 40) == "xidation number of")
    }

    @Test func targetIsCentredByCharacters() {
        let pieces = (0..<20).map { " w\($0)" }
        let range = ContextWindow(pieces: pieces, target: 10, before: nil, after: nil, charactersPerSide: 12).range
        #expect(range == 6..<14)  // " w6"…" w9" (12 characters) | " w10" | " w11"…" w13" (12)
    }

    @Test func aLongTargetWordIsKeptWhole() {
        let pieces = ["Super", "cal", "ifrag", "il", "istic"]
        #expect(shown(pieces, target: 2, budget: 2) == "ifrag")
        #expect(shown(pieces, target: 2, budget: 40) == "Supercalifragilistic")
    }

    @Test func apostrophesBetweenLettersStayInsideTheWord() {
        let pieces = ["I", "'m", " sure", " you", " don", "'t", " know", " '", "this", "'"]
        #expect(shown(pieces, target: 2, budget: 2) == " sure")  // not "'m sure"
        #expect(shown(pieces, target: 2, before: "\"", budget: 10) == "I'm sure you don't")
        #expect(shown(pieces, target: 2, before: " said", budget: 10) == " sure you don't")  // "saidI'm" is one word
        #expect(shown(pieces, target: 6, budget: 2) == " know '")  // not "'t know '"; an opening quote is no apostrophe
    }

    @Test func ideographsAreTheirOwnWords() {
        let pieces = ["我", "们", "学", "习", "中", "文"]
        #expect(shown(pieces, target: 2, before: "你", after: "。", budget: 1) == "们学习")
    }
}
