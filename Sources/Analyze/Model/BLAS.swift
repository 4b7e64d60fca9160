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

    /// Call before the first product: one OpenBLAS thread per core (unless OPENBLAS_NUM_THREADS says otherwise).
    public static func configure() { configureOnce }

    private static let configureOnce: Void = {
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            setThreadCount(ProcessInfo.processInfo.activeProcessorCount)
        }
    }()
}
