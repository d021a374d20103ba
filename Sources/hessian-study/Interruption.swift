import Foundation
import MonteCarlo

/// SIGINT and SIGTERM: say what survives, remove the temporary files of writes in progress (after
/// any set of files being renamed into place is whole), and exit with 128 + the signal. Results
/// already renamed into place are whole; `survivors` says what else is (checkpoints of completed
/// cells let `run --resume` go on).
enum Interruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(survivors: String = "") {
        guard sources.isEmpty else { return }
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nhessian-study: interrupted; no partial result file was left.\(survivors.isEmpty ? "" : " " + survivors)\n".utf8))
                OutputFolder.removePendingAndExit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
