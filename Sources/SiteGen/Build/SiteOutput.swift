import Formats
import Foundation

/// The output directory: built in a temporary sibling and renamed into place at the end, so a failed or
/// interrupted run never leaves half a site where the old one was.
struct SiteOutput {
    /// Marks a directory as a site we wrote, so rebuilding may replace it.
    static let marker = ".sae-report-site"
    let target: URL
    let staging: URL

    init(target: URL) throws {
        self.target = target.standardizedFileURL
        let parent = self.target.deletingLastPathComponent()
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: self.target.path, isDirectory: &isDirectory) {
            let contents = (try? fm.contentsOfDirectory(atPath: self.target.path)) ?? []
            guard isDirectory.boolValue, contents.isEmpty || contents.contains(Self.marker) else {
                throw InputError("output exists and is not a site written by sae-report; refusing to replace it", url: self.target)
            }
        }
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw InputError("cannot create the output's parent directory", url: parent)
        }
        staging = parent.appendingPathComponent(".\(self.target.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            for sub in ["", "features", "clusters", "img", "data", "assets"] {
                try fm.createDirectory(at: staging.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            try Data("sae-report site\n".utf8).write(to: staging.appendingPathComponent(Self.marker))
        } catch {
            throw InputError("cannot write the output directory", url: parent)
        }
    }

    /// Writes `data` to `url`, turning failures into an `InputError` naming the file.
    ///
    /// Plain `open`/`write`/`close`: `Data.write(to:)` also fsyncs each file, and waiting for the disk once per page
    /// was most of a site build's wall time. The site is staged and renamed into place as a whole, so no single
    /// page needs to reach the disk before the next is written.
    static func write(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try write(bytes: $0, to: url) }
    }

    static func write(_ text: String, to url: URL) throws {
        var text = text
        try text.withUTF8 { try write(bytes: UnsafeRawBufferPointer($0), to: url) }
    }

    private static func write(bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw InputError("cannot write file (\(String(cString: strerror(errno))))", url: url) }
        var written = 0
        while written < bytes.count {
            let count = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw InputError("cannot write file (\(reason))", url: url)
            }
            written += count
        }
        guard close(descriptor) == 0 else { throw InputError("cannot write file (\(String(cString: strerror(errno))))", url: url) }
    }

    /// Replaces the target with the staged site.
    func commit() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: target.path) {
            let old = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).old-\(UUID().uuidString)")
            guard rename(target.path, old.path) == 0 else { throw InputError("cannot replace the output directory", url: target) }
            guard rename(staging.path, target.path) == 0 else {
                _ = rename(old.path, target.path)
                throw InputError("cannot move the site into place", url: target)
            }
            try? fm.removeItem(at: old)
        } else {
            guard rename(staging.path, target.path) == 0 else { throw InputError("cannot move the site into place", url: target) }
        }
    }

    /// Removes the staging directory after a failure.
    func discard() { try? FileManager.default.removeItem(at: staging) }
}
