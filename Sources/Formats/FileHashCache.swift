import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SHA-256 of large files, remembered between runs by what `stat` says of each file: device, inode, size, and the
/// modification and status-change times to the nanosecond. Any write to a file, or a new file renamed over it, changes
/// its status-change time (which no program can set back) or its inode, so a remembered hash is only reused for the
/// bytes it was computed from. A rerun on the same 16 GB checkpoint then reads none of it to hash it.
///
/// Two guards keep a write from slipping past the timestamps' granularity: a file is remembered only if it had
/// settled (its times at least `settledAfter` seconds old when hashing began) and `stat` gave the same answer after
/// hashing as before. Each file's entry is one small text file named by the SHA-256 of the file's resolved path,
/// written atomically; unreadable or stale entries are recomputed, and a cache that cannot be written is skipped.
public struct FileHashCache: Sendable {
    /// Where entries live; nil: no cache (every call hashes).
    public let directory: URL?
    /// Files below this size are hashed every time (their hash costs less than the entry).
    public let minimumBytes: Int
    public let settledAfter: TimeInterval

    public init(directory: URL?, minimumBytes: Int = 16 << 20, settledAfter: TimeInterval = 3) {
        (self.directory, self.minimumBytes, self.settledAfter) = (directory, minimumBytes, settledAfter)
    }

    /// `$SAE_REPORT_CACHE_DIR/file-hashes` (no cache when that variable is set but empty), else
    /// `$XDG_CACHE_HOME/sae-report/file-hashes`, else `~/.cache/sae-report/file-hashes`.
    public static var standard: FileHashCache {
        let environment = ProcessInfo.processInfo.environment
        let root: URL?
        if let custom = environment["SAE_REPORT_CACHE_DIR"] {
            root = custom.isEmpty ? nil : URL(fileURLWithPath: custom)
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            root = URL(fileURLWithPath: xdg).appendingPathComponent("sae-report")
        } else if let home = environment["HOME"], !home.isEmpty {
            root = URL(fileURLWithPath: home).appendingPathComponent(".cache/sae-report")
        } else {
            root = nil
        }
        return FileHashCache(directory: root?.appendingPathComponent("file-hashes"))
    }

    /// The file's SHA-256 (lowercase hex): the remembered one when the file is unchanged, else computed (and
    /// remembered when the file qualifies).
    public func sha256(of url: URL) throws -> String {
        guard let directory, let before = FileIdentity(url), before.size >= minimumBytes else {
            return try FileHash.sha256(of: url)
        }
        let entry = directory.appendingPathComponent(FileHash.sha256(of: Data(url.resolvingSymlinksInPath().path.utf8)))
        if let text = try? String(contentsOf: entry, encoding: .utf8), let remembered = before.hash(inEntry: text) {
            return remembered
        }
        let started = Date().timeIntervalSince1970
        let hash = try FileHash.sha256(of: url)
        if before.latestChange < started - settledAfter, FileIdentity(url) == before {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? Data(before.entry(hash: hash).utf8).write(to: entry, options: .atomic)
        }
        return hash
    }
}

/// What `stat` says of a file, as an entry records it.
private struct FileIdentity: Equatable {
    var fields: [Int]

    var size: Int { fields[2] }
    /// The later of the modification and status-change times, in seconds.
    var latestChange: Double { max(Double(fields[3]) + Double(fields[4]) / 1e9, Double(fields[5]) + Double(fields[6]) / 1e9) }

    init?(_ url: URL) {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
            let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #else
            let (modified, changed) = (info.st_mtim, info.st_ctim)
        #endif
        fields = [
            Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(modified.tv_sec), Int(modified.tv_nsec),
            Int(changed.tv_sec), Int(changed.tv_nsec),
        ]
    }

    /// "v1 dev inode size mtime_s mtime_ns ctime_s ctime_ns sha256".
    func entry(hash: String) -> String { "v1 " + fields.map(String.init).joined(separator: " ") + " \(hash)\n" }

    /// The hash an entry records for exactly this identity, else nil.
    func hash(inEntry text: String) -> String? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == fields.count + 2, parts[0] == "v1", parts.dropFirst().prefix(fields.count).map({ Int($0) }) == fields.map(Optional.some)
        else { return nil }
        let hash = parts.last!.trimmingCharacters(in: .newlines)
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else { return nil }
        return hash
    }
}
