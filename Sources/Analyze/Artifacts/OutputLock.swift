import Formats
import Foundation

/// An exclusive claim on an output path for the life of a run, so that a second run writing the same output stops
/// with an error instead of deleting or interleaving the first one's staging directory.
///
/// The claim is a `flock` on `.NAME.lock` beside the output: the kernel drops it when the process ends, so a crashed
/// run never leaves a stale lock. The file is removed on release; a run that opened it just before the removal sees
/// that the path now names another file (or none) and tries again.
public final class OutputLock {
    public let lockFile: URL
    private let descriptor: Int32

    public init(for destination: URL) throws {
        let destination = destination.standardizedFileURL
        let parent = destination.deletingLastPathComponent()
        lockFile = parent.appendingPathComponent(".\(destination.lastPathComponent).lock")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw InputError("cannot create the output directory (\(error.localizedDescription))", url: parent)
        }
        while true {
            let descriptor = open(lockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw InputError("cannot create a lock file beside the output (\(Self.systemError()))", url: lockFile)
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let busy = errno == EWOULDBLOCK
                let reason = Self.systemError()
                close(descriptor)
                throw busy
                    ? InputError(
                        "another sae-report run is writing this output; wait for it to end or choose another -o",
                        url: destination)
                    : InputError("cannot lock the output (\(reason))", url: lockFile)
            }
            if Self.isSameFile(descriptor, lockFile.path) {
                self.descriptor = descriptor
                return
            }
            close(descriptor)
        }
    }

    deinit {
        unlink(lockFile.path)
        close(descriptor)
    }

    private static func isSameFile(_ descriptor: Int32, _ path: String) -> Bool {
        var opened = stat(), named = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
