import Foundation
@testable import LMRuntime
import Testing

@Suite(.serialized) struct BLASThreadTests {
    /// Many overlapping sections on many threads (as concurrent analyses in one process make them) leave the
    /// configured count in place; saving and restoring per section would leave one thread behind.
    @Test func overlappingSingleThreadedSectionsRestoreTheConfiguredCount() {
        BLAS.configure()
        let configured = BLAS.threadCount
        let wrongInside = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<500 {
                BLAS.singleThreaded {
                    usleep(20)  // long enough for the sections of other threads to overlap this one
                    if BLAS.liveThreads.count != 1 { wrongInside.increment() }
                }
            }
        }
        #expect(wrongInside.value == 0)
        #expect(BLAS.threadCount == configured)
        let live = BLAS.liveThreads
        #expect(live.sections > 0 || live.count == configured)
    }

    @Test func nestedSectionsAndErrorsRestoreTheCount() throws {
        BLAS.configure()
        let configured = BLAS.threadCount
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try BLAS.singleThreaded { try BLAS.singleThreaded { throw Failure() } }
        }
        #expect(BLAS.threadCount == configured)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
