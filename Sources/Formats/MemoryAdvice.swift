#if canImport(Glibc)
    import Glibc
#endif

/// Hints to the kernel for the large memory-mapped ranges that tensor loading reads once, front to back: one call maps
/// a range instead of one fault per page. A best-effort no-op elsewhere.
///
/// Fresh fp32 weight copies no longer ask for transparent huge pages (`MADV_HUGEPAGE`): where THP defrag is `madvise`
/// (Debian's default) every such fault may compact memory synchronously, and with the page cache full of checkpoints
/// the full 0.6B model's fp32 `load` took 3.4–5.5 s with the advice and 1.75–1.85 s without it, alternating runs
/// (the forward after it within 1 %).
enum MemoryAdvice {
    /// Buffers smaller than this are left alone.
    static let threshold = 4 << 20

    /// Maps a memory-mapped file range in one call instead of one fault per page (`MADV_POPULATE_READ`, Linux 5.14+;
    /// older kernels reject it and the pages fault in as usual).
    static func prefault(_ pointer: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
            guard byteCount >= threshold else { return }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = Int(bitPattern: pointer) & ~(page - 1)
            let end = Int(bitPattern: pointer) + byteCount
            let populateRead: Int32 = 22
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, populateRead)
        #endif
    }

    /// Drops this process's page-table entries for a read-only file mapping's range once it has been read
    /// (`MADV_DONTNEED`; the pages stay in the page cache), so reading a 16 GB file through a mapping does not add
    /// 16 GB to the resident set. Page-aligned inward; a no-op elsewhere.
    static func release(_ pointer: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: pointer) + page - 1) & ~(page - 1)
            let end = (Int(bitPattern: pointer) + byteCount) & ~(page - 1)
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
        #endif
    }
}
