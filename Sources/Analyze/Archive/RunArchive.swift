import Crypto
import Formats
import Foundation

/// One `.tar.gz` holding an analysis directory (and its site) with a manifest of every file's size and sha256,
/// so that a copy can be checked for tampering or truncation before anyone trusts its numbers.
///
/// Layout: `<root>/...` for every file, then `<root>/MANIFEST.json` as the last entry:
/// `{format, tool, tool_version, created, root, run_config, files: [{path, size, sha256}]}`.
public enum RunArchive {
    public static let manifestName = "MANIFEST.json"
    public static let format = "sae-report-archive/1"

    public struct FileEntry: Equatable, Sendable {
        public var path: String
        public var size: Int
        public var sha256: String
    }

    public struct Report: Sendable {
        public var root: String
        public var files: [FileEntry]
        public var problems: [String]
        public var isIntact: Bool { problems.isEmpty }
    }

    // MARK: Create

    /// Archives `directory` into `output` (written to a temporary file, renamed at the end).
    @discardableResult
    public static func create(directory: URL, output: URL) throws -> Report {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw InputError("not a directory", url: directory)
        }
        let root = directory.standardizedFileURL.lastPathComponent
        let files = try regularFiles(under: directory)
        let temp = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        let writer = try GzipWriter(path: temp.path)
        var entries: [FileEntry] = []
        do {
            for relative in files {
                entries.append(try appendFile(directory.appendingPathComponent(relative), as: root + "/" + relative, to: writer))
            }
            let manifest = try manifestData(root: root, entries: entries, runConfig: runConfig(in: directory, files: files))
            try appendData(manifest, as: root + "/" + manifestName, to: writer)
            try writer.write(Data(count: Tar.blockSize * 2))
            try writer.close()
            if FileManager.default.fileExists(atPath: output.path) { try FileManager.default.removeItem(at: output) }
            try FileManager.default.moveItem(at: temp, to: output)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            if let error = error as? InputError { throw error }
            throw InputError("cannot write archive: \(error.localizedDescription)", url: output)
        }
        return Report(root: root, files: entries, problems: [])
    }

    // MARK: Verify and extract

    /// Reads the whole archive, recomputing every file's hash, and compares with the manifest.
    public static func verify(archive: URL) throws -> Report {
        try read(archive: archive, extractingTo: nil)
    }

    /// Verifies and extracts into `destination` (which must not exist). Entries with absolute paths, `..`
    /// components, or links are refused; nothing is left behind unless the whole archive checks out.
    public static func extract(archive: URL, to destination: URL) throws -> Report {
        if FileManager.default.fileExists(atPath: destination.path) {
            throw InputError("already exists; choose a new directory to extract into", url: destination)
        }
        let temp = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        do {
            let report = try read(archive: archive, extractingTo: temp)
            guard report.isIntact else {
                try? FileManager.default.removeItem(at: temp)
                return report
            }
            try FileManager.default.moveItem(at: temp, to: destination)
            return report
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }

    private static func read(archive: URL, extractingTo target: URL?) throws -> Report {
        let reader = try GzipReader(path: archive.path)
        var seen: [FileEntry] = []
        var manifest: Data?
        var root: String?
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: Tar.blockSize, alignment: 8)
        defer { header.deallocate() }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { chunk.deallocate() }

        while true {
            guard try reader.readFully(into: header) else {
                throw InputError("archive is truncated (no end-of-archive marker)", url: archive)
            }
            guard let entry = try Tar.decode(UnsafeRawBufferPointer(header), path: archive.path) else { break }
            let components = try safeComponents(entry.path, archive: archive)
            guard entry.kind == .file || entry.kind == .directory else {
                throw InputError("entry \"\(entry.path)\" is a link or special file; refusing it", url: archive)
            }
            if root == nil { root = components[0] }
            guard components[0] == root else {
                throw InputError("entry \"\(entry.path)\" is outside the archive's root folder \"\(root!)\"", url: archive)
            }
            if entry.kind == .directory { continue }

            let relative = components.dropFirst().joined(separator: "/")
            let isManifest = relative == manifestName
            var output: FileHandle?
            if let target, !isManifest {
                let url = target.appendingPathComponent(relative)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw InputError("cannot create file", url: url)
                }
                output = try FileHandle(forWritingTo: url)
            }
            var hasher = SHA256()
            var body = Data()
            var remaining = entry.size
            while remaining > 0 {
                let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(remaining, chunk.count)])
                guard try reader.readFully(into: piece) else {
                    throw InputError("archive is truncated inside \"\(entry.path)\"", url: archive)
                }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(piece))
                if isManifest { body.append(contentsOf: piece) }
                try output?.write(contentsOf: Data(piece))
                remaining -= piece.count
            }
            try output?.close()
            let pad = Tar.padding(for: entry.size)
            if pad > 0, !(try reader.readFully(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<pad]))) {
                throw InputError("archive is truncated after \"\(entry.path)\"", url: archive)
            }
            if isManifest {
                manifest = body
            } else {
                seen.append(FileEntry(path: relative, size: entry.size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined()))
            }
        }
        guard let manifest else { throw InputError("no \(manifestName) in the archive (truncated or not ours)", url: archive) }
        let listed = try parseManifest(manifest, archive: archive)
        return Report(root: root ?? "", files: seen, problems: compare(listed: listed, seen: seen))
    }

    static func compare(listed: [FileEntry], seen: [FileEntry]) -> [String] {
        var problems: [String] = []
        let seenByPath = Dictionary(seen.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let listedPaths = Set(listed.map(\.path))
        for entry in listed {
            guard let actual = seenByPath[entry.path] else { problems.append("\(entry.path): missing from the archive"); continue }
            if actual.size != entry.size {
                problems.append("\(entry.path): size \(actual.size), manifest says \(entry.size)")
            } else if actual.sha256 != entry.sha256 {
                problems.append("\(entry.path): sha256 differs from the manifest (modified)")
            }
        }
        for entry in seen where !listedPaths.contains(entry.path) {
            problems.append("\(entry.path): not in the manifest (added)")
        }
        return problems
    }

    // MARK: Pieces

    private static func safeComponents(_ path: String, archive: URL) throws -> [String] {
        if path.hasPrefix("/") { throw InputError("entry \"\(path)\" has an absolute path; refusing it", url: archive) }
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if components.isEmpty || components.contains("..") || components.contains(".") {
            throw InputError("entry \"\(path)\" escapes the archive's folder; refusing it", url: archive)
        }
        return components
    }

    private static func regularFiles(under directory: URL) throws -> [String] {
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else {
            throw InputError("cannot list directory", url: directory)
        }
        var files: [String] = []
        for case let url as URL in enumerator {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true else { continue }
            var path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(base + "/") else { continue }
            path.removeFirst(base.count + 1)
            if path == manifestName { continue }
            files.append(path)
        }
        return files.sorted()
    }

    private static func appendFile(_ url: URL, as path: String, to writer: GzipWriter) throws -> FileEntry {
        let size = try (FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        try writer.write(Data(try Tar.encode(Tar.Header(path: path, size: size, kind: .file))))
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw InputError("cannot read file", url: url) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var remaining = size
        while remaining > 0 {
            let data = try handle.read(upToCount: min(remaining, 4 << 20)) ?? Data()
            if data.isEmpty { throw InputError("file shrank while being archived", url: url) }
            hasher.update(data: data)
            try writer.write(data)
            remaining -= data.count
        }
        try writer.write(Data(count: Tar.padding(for: size)))
        let relative = String(path.drop(while: { $0 != "/" }).dropFirst())
        return FileEntry(path: relative, size: size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    private static func appendData(_ data: Data, as path: String, to writer: GzipWriter) throws {
        try writer.write(Data(try Tar.encode(Tar.Header(path: path, size: data.count, kind: .file))))
        try writer.write(data)
        try writer.write(Data(count: Tar.padding(for: data.count)))
    }

    /// The run configuration recorded in the manifest: the newest `config_*.json` at the top or one level down.
    private static func runConfig(in directory: URL, files: [String]) -> Any {
        let configs = files.filter {
            let name = ($0 as NSString).lastPathComponent
            return name.hasPrefix("config_") && name.hasSuffix(".json") && $0.split(separator: "/").count <= 2
        }.sorted()
        guard let last = configs.last,
            let data = try? Data(contentsOf: directory.appendingPathComponent(last)),
            let object = try? JSONSerialization.jsonObject(with: data)
        else { return NSNull() }
        return object
    }

    private static func manifestData(root: String, entries: [FileEntry], runConfig: Any) throws -> Data {
        let object: [String: Any] = [
            "format": format, "tool": "sae-report", "tool_version": ToolVersion.string,
            "created": ISO8601DateFormatter().string(from: Date()), "root": root, "run_config": runConfig,
            "files": entries.map { ["path": $0.path, "size": $0.size, "sha256": $0.sha256] as [String: Any] },
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    private static func parseManifest(_ data: Data, archive: URL) throws -> [FileEntry] {
        guard let manifest = try? JSONValue(parsing: data), manifest.member("format")?.text == format,
            let files = manifest.member("files")?.items
        else {
            throw InputError("\(manifestName) is malformed", url: archive)
        }
        return try files.map {
            guard let path = $0.member("path")?.text, let size = $0.member("size")?.integer,
                let sha = $0.member("sha256")?.text
            else {
                throw InputError("\(manifestName) has a malformed file entry", url: archive)
            }
            return FileEntry(path: path, size: size, sha256: sha)
        }
    }
}
