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
    static func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url) } catch { throw InputError("cannot write file", url: url) }
    }

    static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

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
