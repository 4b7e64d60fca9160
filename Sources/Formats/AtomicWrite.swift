import Foundation

/// Writes a file through a temporary sibling that is renamed into place, so readers never see half a file.
/// `body` writes the complete contents to the URL it is given (which does not exist yet).
func writeAtomically(to url: URL, _ body: (URL) throws -> Void) throws {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
    do {
        try body(temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw InputError("cannot write file: \(String(cString: strerror(errno)))", url: url)
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        if error is InputError { throw error }
        throw InputError("cannot write file (\(error.localizedDescription))", url: url)
    }
}

/// Writes `data` to `url` through a temporary file and a rename.
func writeAtomically(_ data: Data, to url: URL) throws {
    try writeAtomically(to: url) { temporary in try data.write(to: temporary) }
}
