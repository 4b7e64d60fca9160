import Formats
import Foundation

/// A temporary directory next to the analysis directory where a run's files are written; `commit()` moves them
/// into place with renames, so a crash never leaves a half-written analysis behind.
public final class StagedAnalysisDirectory {
    /// The final analysis directory.
    public let destination: URL
    /// Where files are written until `commit()`.
    public let staging: URL
    public let layout: AnalysisLayout
    private var committed = false

    /// Creates (or reuses) the staging directory beside `destination` (which may already hold other runs). Its name
    /// is fixed, `.NAME.partial`, so an interrupted run's checkpoint can be found again; `createsLayout: false`
    /// leaves out the analysis subdirectories (a shard directory has none).
    public init(destination: URL, layout: AnalysisLayout, createsLayout: Bool = true) throws {
        self.destination = destination.standardizedFileURL
        self.layout = layout
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: self.destination.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw InputError("the output path exists and is not a directory", url: self.destination)
        }
        let parent = self.destination.deletingLastPathComponent()
        staging = Self.stagingURL(for: self.destination)
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            for directory in createsLayout ? AnalysisLayout.directories : [] {
                try FileManager.default.createDirectory(
                    at: staging.appendingPathComponent(directory),
                    withIntermediateDirectories: true)
            }
        } catch {
            throw InputError("cannot create the output directory (\(error.localizedDescription))", url: parent)
        }
    }

    /// Where a run writing `destination` stages its files.
    public static func stagingURL(for destination: URL) -> URL {
        let destination = destination.standardizedFileURL
        return destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).partial")
    }

    /// A subdirectory of the staging directory for work files (the checkpoint and the database columns); it is
    /// deleted, not moved, by `commit()`.
    public static let scratchName = ".checkpoint"
    public var scratch: URL { staging.appendingPathComponent(Self.scratchName) }

    /// Set once a checkpoint worth resuming is in the staging directory: a failure then leaves it for `--resume`.
    public var keepsStagingOnFailure = false

    deinit {
        if !committed && !keepsStagingOnFailure { try? FileManager.default.removeItem(at: staging) }
    }

    /// The staged location of a layout path.
    public func url(_ relativePath: String) -> URL { staging.appendingPathComponent(relativePath) }

    /// Whether a layout path has been written.
    public func exists(_ relativePath: String) -> Bool { FileManager.default.fileExists(atPath: url(relativePath).path) }

    /// Moves the staged files into `destination`: one rename when it does not exist yet, otherwise file by file
    /// (a same-named file from an earlier run with the same timestamp is replaced).
    public func commit() throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: scratch.path) { try manager.removeItem(at: scratch) }
        if !manager.fileExists(atPath: destination.path) {
            try manager.moveItem(at: staging, to: destination)
        } else {
            let files =
                manager.enumerator(at: staging, includingPropertiesForKeys: [.isRegularFileKey])?
                .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
            for file in files {
                let relative = String(file.standardizedFileURL.path.dropFirst(staging.standardizedFileURL.path.count + 1))
                let target = destination.appendingPathComponent(relative)
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
                try manager.moveItem(at: file, to: target)
            }
            try manager.removeItem(at: staging)
        }
        committed = true
    }
}
