import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `.npy` file mapped read-only: the header is parsed and checked as `NPY.read` does, but the data stays in the
/// file and only the pages a reader touches are loaded (a d_sae × d_sae matrix is 1 GiB at 16384 features, and
/// its readers want a few blocks of it).
public final class NPYMappedArray: @unchecked Sendable {
    public let url: URL
    public let dtype: NPYDType
    /// C order (Fortran-order files are refused).
    public let shape: [Int]
    private let file: MappedFile<UInt8>
    private let dataRange: Range<Int>

    /// Maps `url`; throws `InputError` naming it when it cannot be read or is not a valid `.npy` file.
    public init(url: URL) throws {
        self.url = url
        do {
            file = try MappedFile(url: url)
        } catch let error as InputError {
            throw InputError("cannot read .npy file (\(error.message))", url: url)
        }
        let bytes = file.bytes
        // A view of the mapping, not a copy: parsing reads the header bytes only.
        let view =
            bytes.baseAddress.map {
                Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: bytes.count, deallocator: .none)
            } ?? Data()
        do {
            let (header, range) = try NPY.parse(view)
            dtype = header.dtype
            shape = header.shape
            dataRange = range
        } catch let error as InputError {
            throw InputError(error.message, url: url)
        }
    }

    /// The array's data (little-endian elements in C order); valid only inside `body`.
    public func withUnsafeDataBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: file.bytes[dataRange]))
    }

    /// Lets go of the pages read so far, so they stop counting towards this process's memory; touching them again
    /// reads them back (from the page cache, normally). Best-effort: a no-op where `madvise` is unavailable.
    public func releaseResidentPages() {
        #if os(Linux)
            let bytes = file.bytes
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
        #endif
    }
}
