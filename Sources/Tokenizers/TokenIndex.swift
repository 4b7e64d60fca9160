#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The vocabulary as a lookup from a token's bytes, or two byte strings joined, to its id, that allocates nothing per
/// lookup: building a 150k-merge table asks three of them per merge, and a `[TokenBytes: Int32]` lookup needs a key
/// array each time. Open addressing (FNV-1a, linear probing) over one arena of every token's bytes.
struct TokenIndex {
    private var arena: [UInt8] = []
    /// Token k's bytes are arena[starts[k]..<starts[k + 1]].
    private var starts: [Int] = [0]
    private var ids: [Int32] = []
    /// -1 for an empty slot, else a token number k.
    private var slots: [Int32]
    private let mask: Int

    init(_ vocabulary: [TokenBytes: Int32]) {
        var size = 16
        while size < 2 * vocabulary.count { size *= 2 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        ids.reserveCapacity(vocabulary.count)
        starts.reserveCapacity(vocabulary.count + 1)
        for (token, id) in vocabulary {
            arena += token.utf8
            starts.append(arena.count)
            ids.append(id)
            var slot = token.utf8.withUnsafeBufferPointer { Self.hash($0, UnsafeBufferPointer(start: nil, count: 0)) } & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(ids.count - 1)
        }
    }

    /// The id of the token whose bytes are `first` followed by `second`, or nil.
    func id(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)) -> Int32? {
        var slot = Self.hash(first, second) & mask
        let length = first.count + second.count
        return arena.withUnsafeBufferPointer { arena in
            while true {
                let k = Int(slots[slot])
                if k < 0 { return nil }
                let start = starts[k]
                if starts[k + 1] - start == length, Self.equal(arena.baseAddress! + start, first),
                    Self.equal(arena.baseAddress! + start + first.count, second)
                {
                    return ids[k]
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private static func equal(_ stored: UnsafePointer<UInt8>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.isEmpty || memcmp(stored, bytes.baseAddress!, bytes.count) == 0
    }

    /// FNV-1a over both byte strings, its high bits folded down (linear probing uses the low ones).
    private static func hash(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in first { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        for byte in second { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
