#if canImport(Glibc)
    import Glibc
#endif

/// Hints to the kernel for the large buffers that tensor loading touches once, front to back. On this kind of
/// workload page faults, not arithmetic, dominate: converting 64M bf16 values into a fresh array spends ~85% of its
/// time faulting in 4 KiB pages (see scripts/bench/bench-formats.sh). Both hints are best-effort no-ops elsewhere.
enum MemoryAdvice {
    /// Buffers smaller than this are left alone.
    static let threshold = 4 << 20
    private static let hugePageSize = 2 << 20

    /// Asks for transparent huge pages for a freshly allocated, not yet touched buffer (THP mode `madvise`).
    static func preferHugePages(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
            guard byteCount >= threshold else { return }
            let start = (Int(bitPattern: pointer) + hugePageSize - 1) & ~(hugePageSize - 1)
            let end = (Int(bitPattern: pointer) + byteCount) & ~(hugePageSize - 1)
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

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
}
