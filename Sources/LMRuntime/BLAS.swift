import COpenBLAS
import Foundation
import Parallelism

/// Process-wide OpenBLAS settings for the model's matrix products.
public enum BLAS {
    /// The OpenBLAS kernel family in use (e.g. "Haswell", "Cooperlake"), or nil if this OpenBLAS does not say.
    public static var coreName: String? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "openblas_get_corename") else { return nil }
        let function = unsafeBitCast(address, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
        return function().map { String(cString: $0) }
    }

    /// The number of threads OpenBLAS uses for one product (outside `singleThreaded` sections).
    public static var threadCount: Int { threads.withLock { $0.configured } }

    /// Sets the number of threads OpenBLAS uses for one product (`configure()` sets it from `Parallelism`); inside a `singleThreaded` section (of this or
    /// another thread) it takes effect when the last section ends.
    public static func setThreadCount(_ count: Int) {
        threads.withLock { state in
            state.chosen = max(1, count)
            if state.sections == 0 { openblas_set_num_threads(Int32(state.configured)) }
        }
    }

    /// Runs `body` with OpenBLAS single-threaded, for work that spreads small products over its own threads.
    ///
    /// OpenBLAS's thread count is one setting for the whole process, so concurrent and nested sections share one
    /// switch: the first to enter sets one thread, the last to leave restores the configured count. (Saving and
    /// restoring around each section instead lets two overlapping sections leave the process at one thread.)
    /// Products another thread runs meanwhile use one thread too, and OpenBLAS's sums depend in the last bits on the
    /// thread count, so concurrent analyses in one process are not bit-reproducible (one per process are).
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        threads.withLock { state in
            if state.sections == 0 {
                state.previous = Int(openblas_get_num_threads())
                openblas_set_num_threads(1)
            }
            state.sections += 1
        }
        defer {
            threads.withLock { state in
                state.sections -= 1
                if state.sections == 0 { openblas_set_num_threads(Int32(state.configured)) }
            }
        }
        return try body()
    }

    /// OpenBLAS's live thread count and the number of open `singleThreaded` sections, read together.
    static var liveThreads: (count: Int, sections: Int) {
        threads.withLock { (Int(openblas_get_num_threads()), $0.sections) }
    }

    private struct ThreadState {
        /// Set by `setThreadCount`; nil leaves OpenBLAS's own choice.
        var chosen: Int?
        /// OpenBLAS's count when the outermost section began.
        var previous = 1
        var sections = 0
        var configured: Int { chosen ?? (sections > 0 ? previous : Int(openblas_get_num_threads())) }
    }

    private static let threads = ThreadSwitch()

    /// The thread state behind a lock (a pthread mutex, which ThreadSanitizer follows).
    private final class ThreadSwitch: @unchecked Sendable {
        private let lock = NSLock()
        private var state = ThreadState()
        func withLock<R>(_ body: (inout ThreadState) -> R) -> R {
            lock.lock()
            defer { lock.unlock() }
            return body(&state)
        }
    }

    /// A one-line note when the environment pins OpenBLAS to kernels without AVX-512 (`OPENBLAS_CORETYPE`, e.g.
    /// Haswell) on a CPU that has AVX-512, else nil. The pin is the user's setting and is left alone; without it OpenBLAS picks
    /// AVX-512 kernels, about 1.8× the matrix-product throughput (scripts/bench/bench-forward.sh measures both).
    public static var pinnedKernelsNote: String? {
        guard let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !pinned.isEmpty,
            let core = coreName, coresWithoutAVX512.contains(core.lowercased()),
            let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            cpu.split(separator: "\n").contains(where: { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512f") })
        else { return nil }
        return "OPENBLAS_CORETYPE=\(pinned) pins OpenBLAS to its \(core) kernels (no AVX-512) on a CPU with AVX-512; "
            + "unset it for about 1.8x faster matrix products"
    }

    private static let coresWithoutAVX512: Set<String> = ["haswell", "zen", "sandybridge", "excavator", "steamroller", "piledriver", "bulldozer"]

    /// Call before products: OpenBLAS gets `Parallelism.workerCount` threads, the one setting for all parallel work
    /// (unless OPENBLAS_NUM_THREADS says otherwise). Cheap; call it again after changing the setting.
    public static func configure() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
        setThreadCount(Parallelism.workerCount)
    }
}
