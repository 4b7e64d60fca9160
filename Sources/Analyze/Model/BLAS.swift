import COpenBLAS
import Foundation

/// Process-wide OpenBLAS settings for the model's matrix products.
public enum BLAS {
    /// The OpenBLAS kernel family in use (e.g. "Haswell", "Cooperlake"), or nil if this OpenBLAS does not say.
    public static var coreName: String? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "openblas_get_corename") else { return nil }
        let function = unsafeBitCast(address, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
        return function().map { String(cString: $0) }
    }

    /// The number of threads OpenBLAS uses for one product.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one product.
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// A one-line note when the environment pins OpenBLAS to kernels without AVX-512 (`OPENBLAS_CORETYPE`, e.g.
    /// Haswell) on a CPU that has AVX-512, else nil. The pin is the user's setting and is left alone; without it OpenBLAS picks
    /// AVX-512 kernels, about 1.8× the matrix-product throughput (scripts/bench-forward.sh measures both).
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

    /// Call before the first product: one OpenBLAS thread per core (unless OPENBLAS_NUM_THREADS says otherwise).
    public static func configure() { configureOnce }

    private static let configureOnce: Void = {
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            setThreadCount(ProcessInfo.processInfo.activeProcessorCount)
        }
    }()
}
