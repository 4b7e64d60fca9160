import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file mapped read-only into memory, viewed as a buffer of fixed-size elements.
///
/// The activation database's columns are far larger than memory on real corpora; mapping lets the OS page in
/// only the rows that a query touches.
package final class MappedFile<Element: BitwiseCopyable>: @unchecked Sendable {
    package let url: URL
    package let count: Int
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    package init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw InputError("cannot open file", url: url) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw InputError("cannot read file size", url: url) }
        length = Int(info.st_size)
        guard length % MemoryLayout<Element>.stride == 0 else {
            throw InputError("file size \(length) is not a multiple of \(MemoryLayout<Element>.stride) bytes", url: url)
        }
        count = length / MemoryLayout<Element>.stride
        if length == 0 {
            base = nil
        } else {
            let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let address, address != MAP_FAILED else { throw InputError("cannot map file into memory", url: url) }
            base = address
        }
    }

    deinit {
        if let base { munmap(base, length) }
    }

    /// The elements; valid while this object is alive.
    package var buffer: UnsafeBufferPointer<Element> {
        guard let base else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Element.self), count: count)
    }

    /// The raw bytes; valid while this object is alive.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }
}
