import Foundation
import MonteCarlo

/// SIGINT and SIGTERM: remove the temporary files of writes in progress, say what survives, and
/// exit with 128 + the signal. Results already renamed into place are whole; checkpoints of
/// completed cells let `run --resume` go on.
enum Interruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                AtomicFiles.removePending()
                FileHandle.standardError.write(Data("\nhessian-study: interrupted; no partial result file was left. Completed cells are checkpointed: re-run with --resume to go on.\n".utf8))
                exit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
