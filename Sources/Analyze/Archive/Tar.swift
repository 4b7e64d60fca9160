import Formats
import Foundation

/// The subset of POSIX ustar that archives need: regular files and directories, long names through the
/// ustar prefix field, sizes beyond 8 GiB in base-256.
enum Tar {
    static let blockSize = 512

    enum EntryKind: Equatable {
        case file, directory
        case other(UInt8)
    }

    struct Header: Equatable {
        var path: String
        var size: Int
        var kind: EntryKind
        var mode: Int = 0o644
        var mtime: Int = 0
    }

    static func encode(_ header: Header) throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        let (prefix, name) = try splitPath(header.kind == .directory ? header.path + "/" : header.path)
        put(name, at: 0, width: 100, in: &block)
        putOctal(header.kind == .directory ? 0o755 : header.mode, at: 100, width: 8, in: &block)
        putOctal(0, at: 108, width: 8, in: &block)
        putOctal(0, at: 116, width: 8, in: &block)
        if header.size < 0o77777777777 {
            putOctal(header.size, at: 124, width: 12, in: &block)
        } else {
            block[124] = 0x80
            var size = header.size
            for i in stride(from: 135, through: 125, by: -1) { block[i] = UInt8(size & 0xff); size >>= 8 }
        }
        putOctal(header.mtime, at: 136, width: 12, in: &block)
        block[156] = header.kind == .directory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put("ustar", at: 257, width: 6, in: &block)
        put("00", at: 263, width: 2, in: &block)
        put(prefix, at: 345, width: 155, in: &block)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        putOctal(sum, at: 148, width: 7, in: &block)
        return block
    }

    /// Decodes one header block; nil for an all-zero (end-of-archive) block.
    static func decode(_ block: UnsafeRawBufferPointer, path archivePath: String) throws -> Header? {
        if block.allSatisfy({ $0 == 0 }) { return nil }
        var stored = 0
        for i in 0..<blockSize { stored += (148..<156).contains(i) ? Int(UInt8(ascii: " ")) : Int(block[i]) }
        guard let checksum = octal(block, 148, 8), checksum == stored else {
            throw InputError("tar header checksum mismatch (corrupt archive)", path: archivePath)
        }
        let name = string(block, 0, 100), prefix = string(block, 345, 155)
        var path = prefix.isEmpty ? name : prefix + "/" + name
        var size: Int
        if block[124] & 0x80 != 0 {
            size = 0
            for i in 125..<136 { size = (size << 8) | Int(block[i]) }
        } else {
            guard let s = octal(block, 124, 12) else { throw InputError("bad tar size field", path: archivePath) }
            size = s
        }
        let kind: EntryKind
        switch block[156] {
        case 0, UInt8(ascii: "0"): kind = .file
        case UInt8(ascii: "5"): kind = .directory; size = 0
        case let other: kind = .other(other)
        }
        if path.hasSuffix("/") { path.removeLast() }
        return Header(path: path, size: size, kind: kind, mode: octal(block, 100, 8) ?? 0o644, mtime: octal(block, 136, 12) ?? 0)
    }

    static func padding(for size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

    private static func splitPath(_ path: String) throws -> (String, String) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        // Split at a "/" so that the prefix fits 155 bytes and the rest fits 100.
        for (i, byte) in bytes.enumerated().reversed() where byte == UInt8(ascii: "/") && i <= 155 && bytes.count - i - 1 <= 100 {
            return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 1)...], as: UTF8.self))
        }
        throw InputError("path too long for a tar archive", path: path)
    }

    private static func put(_ s: String, at offset: Int, width: Int, in block: inout [UInt8]) {
        for (i, byte) in s.utf8.prefix(width).enumerated() { block[offset + i] = byte }
    }

    private static func putOctal(_ value: Int, at offset: Int, width: Int, in block: inout [UInt8]) {
        let digits = String(value, radix: 8)
        let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        put(padded, at: offset, width: width - 1, in: &block)
    }

    private static func string(_ block: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> String {
        let field = block[offset..<(offset + width)]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }

    private static func octal(_ block: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> Int? {
        let text = string(block, offset, width).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? 0 : Int(text, radix: 8)
    }
}
