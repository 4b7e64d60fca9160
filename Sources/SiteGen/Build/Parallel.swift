import Foundation

/// Runs `body(i)` for `0..<count` on all cores and returns the results in index order; the first error thrown
/// by any iteration is rethrown after all have finished.
func parallelMap<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
    let slots = Slots<T>(count: count)
    let failure = FirstError()
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            do { slots.set(i, try box.value(i)) } catch { failure.record(error) }
        }
    }
    if let error = failure.error { throw error }
    return slots.values()
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

private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func record(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
