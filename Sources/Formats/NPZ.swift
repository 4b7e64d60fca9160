import Foundation
import ZIPFoundation

/// Reading and writing numpy's `.npz` archives: a zip file with one `<name>.npy` member per array,
/// stored (`np.savez`) or deflated (`np.savez_compressed`).
public enum NPZ {
    /// Members larger than this are refused before extraction, so a damaged size field cannot exhaust memory.
    static let maximumMemberSize: Int64 = 1 << 34

    /// Reads every array, keyed by member name without the `.npy` suffix.
    public static func read(_ url: URL) throws -> [String: NPYArray] {
        let archive = try openArchive(url)
        var arrays: [String: NPYArray] = [:]
        for entry in archive where entry.type == .file {
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            guard arrays[name] == nil else { throw InputError("archive has two members named \"\(entry.path)\"", url: url) }
            let bytes = try extract(entry, from: archive, url: url)
            do {
                arrays[name] = try NPY.decode(bytes)
            } catch let error as InputError {
                throw InputError("member \"\(entry.path)\": \(error.message)", url: url)
            }
        }
        return arrays
    }

    /// Writes `arrays` in order as `<name>.npy` members, atomically. Names must be unique and non-empty.
    public static func write(arrays: [(String, NPYArray)], to url: URL, compressed: Bool) throws {
        var seen = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty, seen.insert(name).inserted else {
                throw InputError("array names must be unique and non-empty; got \"\(name)\" twice or empty", url: url)
            }
        }
        try writeAtomically(to: url) { temporary in
            let archive = try Archive(url: temporary, accessMode: .create)
            for (name, array) in arrays {
                let bytes = NPY.encode(array)
                try archive.addEntry(
                    with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                    compressionMethod: compressed ? .deflate : .none
                ) { position, size in
                    bytes.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        }
    }

    static func openArchive(_ url: URL) throws -> Archive {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw InputError("file does not exist or cannot be read", url: url)
        }
        try ZipDirectoryCheck.validate(url)
        do {
            return try Archive(url: url, accessMode: .read)
        } catch {
            throw InputError("not a readable zip archive (\(error))", url: url)
        }
    }

    /// The uncompressed bytes of `entry`, CRC-checked. Sizes from the (possibly damaged) directory are checked
    /// against the file size and deflate's maximum ratio (~1032:1) before any memory is reserved for them.
    static func extract(_ entry: Entry, from archive: Archive, url: URL) throws -> Data {
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.uint64Value ?? .max
        let plausibleSize =
            entry.isCompressed
            ? entry.compressedSize.multipliedReportingOverflow(by: 1100).partialValue + 1024
            : entry.compressedSize
        guard entry.compressedSize <= fileSize, entry.uncompressedSize <= plausibleSize,
            entry.uncompressedSize <= maximumMemberSize
        else {
            throw InputError(
                "member \"\(entry.path)\" claims \(entry.uncompressedSize) bytes (\(entry.compressedSize) stored), which the \(fileSize)-byte file cannot hold",
                url: url)
        }
        var bytes = Data()
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry) { chunk in bytes.append(chunk) }
        } catch {
            throw InputError("member \"\(entry.path)\" is damaged (\(error))", url: url)
        }
        // The consumer form of `extract` computes the checksum but leaves comparing it to the caller.
        guard checksum == entry.checksum else {
            throw InputError("member \"\(entry.path)\" fails its CRC-32 check", url: url)
        }
        guard bytes.count == entry.uncompressedSize else {
            throw InputError("member \"\(entry.path)\" has \(bytes.count) bytes, its header says \(entry.uncompressedSize)", url: url)
        }
        return bytes
    }
}
