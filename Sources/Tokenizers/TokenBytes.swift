/// A token's exact UTF-8, as a dictionary key. `[UInt8]`'s own hashing feeds the hasher one byte at a time, which
/// made building a 150k-merge table the bulk of loading a tokenizer; this hashes the bytes in one call.
struct TokenBytes: Hashable {
    var utf8: [UInt8]

    init(_ utf8: [UInt8]) { self.utf8 = utf8 }
    init(_ text: String) { utf8 = Array(text.utf8) }

    func hash(into hasher: inout Hasher) {
        utf8.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
