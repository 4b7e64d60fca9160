import Foundation

/// The one setting for how many threads the program's parallel work uses: every loop below, and OpenBLAS (the
/// runtime's `BLAS.configure()` reads it). `--threads N` sets it once at start; the default is every core.
///
/// `DispatchQueue.concurrentPerform` alone would use every core whatever the setting, so the loops here run at most
/// `workerCount` iterations at once: with more iterations than workers, each worker claims the next index until none
/// is left (the iterations may differ in cost, so a static split would leave workers idle).
public enum Parallelism {
    /// Threads for parallel loops (≥ 1).
    public static var workerCount: Int { setting.withLock { $0 } }

    /// Sets the worker count for every later loop (nil: one per core).
    public static func setWorkerCount(_ count: Int?) {
        setting.withLock { $0 = max(1, count ?? ProcessInfo.processInfo.activeProcessorCount) }
    }

    /// Runs `body(0)`, …, `body(count - 1)`, at most `workerCount` at once, and returns when all are done. The
    /// callers hand each iteration disjoint parts of shared buffers, which the compiler cannot check; hence the
    /// unchecked capture.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(workerCount, count)
        if workers <= 1 {
            for index in 0..<count { body(index) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            if workers == count {
                DispatchQueue.concurrentPerform(iterations: count) { body($0) }
                return
            }
            let next = Counter()
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let index = next.claim(below: count) { body(index) }
            }
        }
    }

    /// Runs `body` over `0..<count` split into contiguous ranges, one per worker (fewer when a worker would get under
    /// `minimumPerWorker` items).
    public static func forEachRange(_ count: Int, minimumPerWorker: Int = 16, _ body: (Range<Int>) -> Void) {
        let workers = min(workerCount, max(1, count / max(1, minimumPerWorker)))
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        forEach(workers) { worker in body((count * worker / workers)..<(count * (worker + 1) / workers)) }
    }

    /// `body(i)` for `0..<count`, at most `workerCount` at once, the results in index order; when iterations throw,
    /// the error of the lowest-index one is rethrown after all have finished (the same error as a serial loop's).
    public static func map<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        let slots = Slots<T>(count: count)
        let failure = FirstError()
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            forEach(count) { i in
                do { slots.set(i, try body(i)) } catch { failure.record(error, at: i) }
            }
        }
        if let error = failure.error { throw error }
        return slots.values()
    }

    private static let setting = Locked(ProcessInfo.processInfo.activeProcessorCount)
}

/// A value behind a lock (a pthread mutex, which ThreadSanitizer follows).
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// The next unclaimed iteration index, shared by the workers of one loop.
private final class Counter: @unchecked Sendable {
    private let next = Locked(0)
    func claim(below count: Int) -> Int? {
        next.withLock { index in
            guard index < count else { return nil }
            defer { index += 1 }
            return index
        }
    }
}

/// Write-once result slots filled from concurrent iterations, each at its own index. The buffer is allocated once:
/// writing through an Array's `withUnsafeMutableBufferPointer` from several threads is itself a race on the array.
private final class Slots<T>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<T?>
    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }
    deinit {
        storage.deinitialize()
        storage.deallocate()
    }
    func set(_ i: Int, _ value: T) { storage[i] = value }
    func values() -> [T] { storage.map { $0! } }
}

/// The error of the lowest-index iteration that threw.
private final class FirstError: @unchecked Sendable {
    private let failure = Locked<(index: Int, error: Error)?>(nil)
    var error: Error? { failure.withLock { $0?.error } }
    func record(_ error: Error, at index: Int) {
        failure.withLock { if $0 == nil || index < $0!.index { $0 = (index, error) } }
    }
}
