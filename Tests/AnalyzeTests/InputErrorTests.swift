@testable import Formats
import Testing

@Test func inputErrorNamesTheFile() {
    #expect(InputError("not a JSON list", path: "corpus.json").description == "corpus.json: not a JSON list")
}
