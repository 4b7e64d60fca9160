import Foundation

/// Checks a zip file's central directory before ZIPFoundation walks it.
///
/// ZIPFoundation (0.9.20) seeks to every offset the directory records by converting it to `off_t`, which traps for
/// offsets of 2^63 and above (a damaged or hostile zip64 record holds any 64-bit value). So every offset and size the
/// directory gives — the start of the directory, each entry's local header, its sizes — must lie inside the file
/// before the archive is opened. Anything else is one `InputError`.
enum ZipDirectoryCheck {
    private static let endRecordSignature: UInt32 = 0x0605_4B50
    private static let zip64EndRecordSignature: UInt32 = 0x0606_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let entrySignature: UInt32 = 0x0201_4B50

    static func validate(_ url: URL) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw InputError("file does not exist or cannot be read", url: url)
        }
        defer { try? handle.close() }
        let fileSize = (try? handle.seekToEnd()) ?? 0
        func fail(_ problem: String) -> InputError { InputError("not a readable zip archive (\(problem))", url: url) }
        func read(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
            guard offset <= fileSize, UInt64(count) <= fileSize - offset else { throw fail("a record lies past the end") }
            try handle.seek(toOffset: offset)
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw fail("a record lies past the end") }
            return [UInt8](data)
        }

        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 at the end of the file.
        let tailCount = Int(min(fileSize, 22 + 65535))
        let tail = try read(fileSize - UInt64(tailCount), tailCount)
        guard
            let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
                Self.uint32(tail, $0) == endRecordSignature
            })
        else { throw fail("no end-of-central-directory record") }
        let endOffset = fileSize - UInt64(tailCount) + UInt64(end)
        var entries = UInt64(Self.uint16(tail, end + 10))
        var directorySize = UInt64(Self.uint32(tail, end + 12))
        var directoryOffset = UInt64(Self.uint32(tail, end + 16))

        // Zip64: the locator sits just before the record and points at the zip64 end record.
        if endOffset >= 20, Self.uint32(try read(endOffset - 20, 4), 0) == zip64LocatorSignature {
            let locator = try read(endOffset - 20, 20)
            let record = try read(Self.uint64(locator, 8), 56)
            guard Self.uint32(record, 0) == zip64EndRecordSignature else { throw fail("a damaged zip64 record") }
            entries = Self.uint64(record, 32)
            directorySize = Self.uint64(record, 40)
            directoryOffset = Self.uint64(record, 48)
        }
        guard directoryOffset <= fileSize, directorySize <= fileSize - directoryOffset else {
            throw fail("the central directory lies past the end")
        }

        // Each entry: 46 fixed bytes, then its name, extra fields and comment.
        var position = directoryOffset
        for _ in 0..<min(entries, fileSize / 46 + 1) {
            let fixed = try read(position, 46)
            guard Self.uint32(fixed, 0) == entrySignature else { throw fail("a damaged central-directory entry") }
            let nameCount = Int(Self.uint16(fixed, 28)), extraCount = Int(Self.uint16(fixed, 30))
            let commentCount = Int(Self.uint16(fixed, 32))
            var compressed = UInt64(Self.uint32(fixed, 20)), uncompressed = UInt64(Self.uint32(fixed, 24))
            var headerOffset = UInt64(Self.uint32(fixed, 42))
            let extra = try read(position + 46 + UInt64(nameCount), extraCount)
            // The zip64 extra field (id 1) holds, in order, the values whose 32-bit fields are all ones.
            var field = 0
            while field + 4 <= extra.count {
                let id = Self.uint16(extra, field), size = Int(Self.uint16(extra, field + 2))
                if id == 1 {
                    var cursor = field + 4
                    func next() -> UInt64? {
                        guard cursor + 8 <= field + 4 + size, cursor + 8 <= extra.count else { return nil }
                        defer { cursor += 8 }
                        return Self.uint64(extra, cursor)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = next() ?? uncompressed }
                    if compressed == 0xFFFF_FFFF { compressed = next() ?? compressed }
                    if headerOffset == 0xFFFF_FFFF { headerOffset = next() ?? headerOffset }
                }
                field += 4 + size
            }
            guard headerOffset < fileSize, compressed <= fileSize else {
                throw fail("an entry's local header or data lies past the end")
            }
            _ = uncompressed  // checked against the compressed size when the member is read (NPZ.extract)
            position += 46 + UInt64(nameCount) + UInt64(extraCount) + UInt64(commentCount)
        }
    }

    private static func uint16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }

    private static func uint64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
    }
}
