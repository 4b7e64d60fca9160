/// Merge table of a BPE model: (left id, right id) → rank and merged id, in an open-addressing hash table keyed by
/// the packed pair. A lookup returns `rank << 32 | merged`, so comparing results compares ranks.
struct MergeTable {
    static let absent = UInt64.max
    private var keys: [UInt64]
    private var values: [UInt64]
    private let shift: UInt64

    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        keys = Array(repeating: Self.absent, count: 1 << bits)
        values = Array(repeating: Self.absent, count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// Sets the merge of a pair; a pair listed twice keeps its last entry, as HF's merge map does.
    mutating func set(_ left: Int32, _ right: Int32, rank: Int, merged: Int32) {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        let mask = keys.count - 1
        var index = slot(key)
        while keys[index] != Self.absent && keys[index] != key { index = (index + 1) & mask }
        keys[index] = key
        values[index] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        let mask = keys.count - 1
        var index = slot(key)
        while true {
            let found = keys[index]
            if found == key { return values[index] }
            if found == Self.absent { return Self.absent }
            index = (index + 1) & mask
        }
    }
}

/// A BPE model: a word starts as the ids of its symbols, then the adjacent pair with the lowest merge rank (the
/// leftmost among equals) is merged until no pair has a merge, as HF's `Word::merge_all`.
struct BytePairModel {
    /// Byte-level BPE: one symbol per byte, the id of its `ByteLevelAlphabet` character (-1 when the vocabulary
    /// lacks it). Empty for a character BPE.
    var byteIDs: [Int32]
    /// Character BPE (SentencePiece style): one symbol per Unicode scalar that is itself a token.
    var characterIDs: [UInt32: Int32]
    var merges: MergeTable
    /// `ignore_merges` (Llama-3): a word that is itself in the vocabulary is that one token.
    var wholeWords: [TokenBytes: Int32]?
    var unknownID: Int32?
    var fuseUnknown: Bool
    /// `byte_fallback`: the ids of the `<0xNN>` tokens (-1 where missing), which spell a symbol the vocabulary
    /// lacks byte by byte.
    var byteFallback: [Int32]?

    func encode(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        if let wholeWords, let id = wholeWords[TokenBytes(Array(word))] {
            ids.append(id)
            return
        }
        var symbols = initialSymbols(word)
        if symbols.count > Self.longWord {
            mergeLong(&symbols)
        } else if symbols.count > 1 {
            mergeShort(&symbols)
        }
        ids.append(contentsOf: symbols)
    }

    /// HF's `BPE::merge_word` before merging: known symbols, else their byte-fallback tokens when all exist, else
    /// the unknown token (runs of them fused into one with `fuse_unk`), else nothing.
    private func initialSymbols(_ word: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        let byteLevel = !byteIDs.isEmpty
        // The common byte-level case first: every byte's character is in the vocabulary.
        if byteLevel {
            for byte in word {
                let id = byteIDs[Int(byte)]
                guard id >= 0 else { break }
                symbols.append(id)
            }
            if symbols.count == word.count { return symbols }
            symbols.removeAll(keepingCapacity: true)
        }
        var pendingUnknown = false
        // HF holds an unknown back until the next known symbol or the end, and byte-fallback tokens do not flush
        // it, so they can come before it.
        func add(_ id: Int32) {
            if pendingUnknown, let unknownID { symbols.append(unknownID) }
            pendingUnknown = false
            symbols.append(id)
        }
        func missing(_ bytes: some Collection<UInt8>) {
            if let byteFallback {
                let fallback = bytes.map { byteFallback[Int($0)] }
                if !fallback.contains(-1) {
                    symbols += fallback
                    return
                }
            }
            guard let unknownID else { return }
            if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        if byteLevel {
            for byte in word {
                let id = byteIDs[Int(byte)]
                if id >= 0 { add(id) } else { missing(ByteLevelAlphabet.characterUTF8(byte)) }
            }
        } else {
            var index = 0
            while index < word.count {
                let (value, length) = decodeScalar(word, at: index)
                if let id = characterIDs[value] { add(id) } else { missing(word[index..<index + length]) }
                index += length
            }
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }

    /// Above this many symbols a word is merged through a priority queue, in O(n log n) rather than O(n²).
    static let longWord = 256

    /// Rescans the pair ranks for the best merge after each one: fastest for the short words that most are.
    private func mergeShort(_ symbols: inout [Int32]) {
        // ranks[i] is the merge of (symbols[i], symbols[i + 1]).
        var ranks = (0..<symbols.count - 1).map { merges.lookup(symbols[$0], symbols[$0 + 1]) }
        while true {
            var best = MergeTable.absent
            var bestIndex = -1
            for i in 0..<ranks.count where ranks[i] < best {
                best = ranks[i]
                bestIndex = i
            }
            guard bestIndex >= 0 else { break }
            symbols[bestIndex] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            symbols.remove(at: bestIndex + 1)
            ranks.remove(at: bestIndex)
            if bestIndex > 0 {
                ranks[bestIndex - 1] = merges.lookup(symbols[bestIndex - 1], symbols[bestIndex])
            }
            if bestIndex < ranks.count {
                ranks[bestIndex] = merges.lookup(symbols[bestIndex], symbols[bestIndex + 1])
            }
        }
    }

    /// HF's `Word::merge_all`: a queue of candidate merges by (rank, position) over a linked list of symbols;
    /// entries made stale by an earlier merge are skipped when they come up.
    private func mergeLong(_ symbols: inout [Int32]) {
        let count = symbols.count
        var next = Array(1...count)
        next[count - 1] = -1
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var queue = MergeQueue()
        func push(_ position: Int) {
            let right = next[position]
            guard right >= 0 else { return }
            let merge = merges.lookup(symbols[position], symbols[right])
            if merge != MergeTable.absent { queue.push(rank: merge >> 32, position: position, merged: Int32(truncatingIfNeeded: merge)) }
        }
        for position in 0..<count - 1 { push(position) }
        while let top = queue.pop() {
            let position = top.position
            let right = next[position]
            guard alive[position], right >= 0 else { continue }
            let current = merges.lookup(symbols[position], symbols[right])
            guard current != MergeTable.absent, Int32(truncatingIfNeeded: current) == top.merged else { continue }
            symbols[position] = top.merged
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[next[right]] = position }
            if previous[position] >= 0 { push(previous[position]) }
            push(position)
        }
        symbols = symbols.indices.filter { alive[$0] }.map { symbols[$0] }
    }
}

/// A binary min-heap of candidate merges ordered by rank, then position.
private struct MergeQueue {
    struct Entry {
        var key: (rank: UInt64, position: Int)
        var merged: Int32
        var position: Int { key.position }
    }
    private var heap: [Entry] = []

    private func less(_ a: Entry, _ b: Entry) -> Bool { a.key < b.key }

    mutating func push(rank: UInt64, position: Int, merged: Int32) {
        heap.append(Entry(key: (rank, position), merged: merged))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && less(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && less(heap[right], heap[smallest]) { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
