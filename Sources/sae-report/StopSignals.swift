import Dispatch
import Foundation

/// While alive, turns the first SIGINT (Ctrl-C) or SIGTERM (what Slurm and Kubernetes send before killing a job)
/// into a call of `onStop`, so a long run can save a checkpoint and exit; a second signal terminates at once.
final class StopSignals {
    private var sources: [DispatchSourceSignal] = []
    private let signals = [SIGINT, SIGTERM]

    init(onStop: @escaping @Sendable () -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                printError("\nstopping after the current batch (saving a checkpoint); signal again to quit at once")
                for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
                onStop()
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}
