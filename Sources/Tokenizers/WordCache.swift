import Foundation

/// Word → BPE ids, shared by every thread that encodes with one tokenizer (a lock guards it). Keys and ids live in
/// two flat arrays indexed by an open-addressing table; when it fills up it is emptied and starts again.
final class WordCache: @unchecked Sendable {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int32, keyCount: Int32
        var idStart: Int32, idCount: Int32
    }

    /// Words longer than this are not cached (they are rare, and would crowd the arrays).
    static let maxWordBytes = 64
    private static let slotCount = 1 << 17
    private static let maxEntries = slotCount / 2

    private let lock = NSLock()
    private var slots = [Int32](repeating: -1, count: WordCache.slotCount)
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private var ids: [Int32] = []

    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in word { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// Appends the cached ids of `word` to `output` and returns true, or returns false when it is not cached.
    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, into output: inout [Int32]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let mask = Self.slotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return false }
            let entry = entries[index]
            if entry.hash == hash && Int(entry.keyCount) == word.count
                && keyBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + Int(entry.keyStart), word.baseAddress!, word.count) == 0 })
            {
                output.append(contentsOf: ids[Int(entry.idStart)..<Int(entry.idStart + entry.idCount)])
                return true
            }
            slot = (slot + 1) & mask
        }
    }

    func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids wordIDs: ArraySlice<Int32>) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= Self.maxEntries {
            slots = [Int32](repeating: -1, count: Self.slotCount)
            entries.removeAll(keepingCapacity: true)
            keyBytes.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
        }
        let mask = Self.slotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] >= 0 {
            let entry = entries[Int(slots[slot])]
            if entry.hash == hash && Int(entry.keyCount) == word.count
                && keyBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + Int(entry.keyStart), word.baseAddress!, word.count) == 0 })
            {
                return  // another thread cached it meanwhile
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(entries.count)
        entries.append(
            Entry(
                hash: hash, keyStart: Int32(keyBytes.count), keyCount: Int32(word.count),
                idStart: Int32(ids.count), idCount: Int32(wordIDs.count)))
        keyBytes.append(contentsOf: word)
        ids.append(contentsOf: wordIDs)
    }
}
