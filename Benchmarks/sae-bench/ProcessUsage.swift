import Foundation

/// The process's resource usage so far: every thread's, the BLAS libraries' workers included.
enum ProcessUsage {
    static func current() -> rusage {
        var usage = rusage()
        #if os(Linux)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    /// User + system CPU seconds so far.
    static func cpuSeconds() -> Double {
        let usage = current()
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
