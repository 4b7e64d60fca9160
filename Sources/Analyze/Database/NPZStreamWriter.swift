import Formats
import Foundation
import ZIPFoundation

/// Writes a `.npz` (a ZIP of `.npy` members, STORED, ZIP64 where needed) whose arrays are streamed from raw
/// little-endian column files or small in-memory buffers, so arrays larger than memory can be archived.
///
/// numpy's `np.load` and scipy's `load_npz` read STORED members like the DEFLATE ones `savez_compressed` writes.
struct NPZStreamWriter {
    /// Where one member's bytes come from.
    enum Source {
        case file(URL)
        case bytes(Data)
    }

    /// One array: the member is named `<name>.npy`.
    struct Member {
        var name: String
        var descr: String
        var shape: [Int]
        var source: Source
    }

    /// Writes `members` to `url`, replacing any file there.
    static func write(_ members: [Member], to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .create) } catch {
            throw InputError("cannot create archive: \(error)", url: url)
        }
        for member in members {
            let header = NPY.header(descr: member.descr, shape: member.shape)
            let payload: Int64
            var handle: FileHandle?
            switch member.source {
            case .bytes(let data): payload = Int64(data.count)
            case .file(let file):
                let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
                payload = size
                handle = try FileHandle(forReadingFrom: file)
            }
            defer { try? handle?.close() }
            let headerCount = Int64(header.count)
            try archive.addEntry(
                with: member.name + ".npy", type: .file, uncompressedSize: headerCount + payload,
                modificationDate: Date(timeIntervalSince1970: 315_532_800),
                bufferSize: 1 << 20
            ) { position, size in
                // ZIPFoundation asks for consecutive chunks; the header is the first bytes.
                var chunk = Data()
                var position = position
                var remaining = size
                if position < headerCount {
                    let take = min(Int64(remaining), headerCount - position)
                    chunk.append(header[Int(position)..<Int(position + take)])
                    position += take
                    remaining -= Int(take)
                }
                guard remaining > 0 else { return chunk }
                switch member.source {
                case .bytes(let data):
                    let start = Int(position - headerCount)
                    chunk.append(data[data.startIndex + start..<data.startIndex + start + remaining])
                case .file:
                    try handle!.seek(toOffset: UInt64(position - headerCount))
                    chunk.append(try handle!.read(upToCount: remaining) ?? Data())
                }
                return chunk
            }
        }
    }
}
