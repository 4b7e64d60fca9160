import Testing
@testable import Tokenizers

/// `TokenIndex` answers as the vocabulary dictionary does, for whole tokens and for every split of one into two
/// byte strings, and finds nothing for bytes that are no token.
@Suite struct TokenIndexTests {
    @Test func lookupsMatchTheDictionary() {
        var generator = SystemRandomNumberGenerator()
        var vocabulary: [TokenBytes: Int32] = [TokenBytes([]): 0]
        while vocabulary.count < 5000 {
            let length = Int.random(in: 1...9, using: &generator)
            vocabulary[TokenBytes((0..<length).map { _ in UInt8.random(in: 0x20...0x7a, using: &generator) })] = Int32(vocabulary.count)
        }
        let index = TokenIndex(vocabulary)
        for (token, id) in vocabulary {
            let bytes = token.utf8
            for split in 0...bytes.count {
                let found = bytes[..<split].withUnsafeBufferPointer { a in bytes[split...].withUnsafeBufferPointer { b in index.id(a, b) } }
                #expect(found == id)
            }
            let longer = bytes + [0x7b]
            #expect(longer.withUnsafeBufferPointer { index.id($0) } == nil)
        }
    }
}
