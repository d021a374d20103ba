import Foundation
import Synchronization

/// A one-line progress report on stderr, redrawn at most five times a second: the cell being
/// run, replications done of the total, and an estimate of the time left. Only when stderr is a
/// terminal.
final class ProgressLine: Sendable {
    private let label: String
    private let started = Date()
    private let lastDraw = Mutex<Date>(.distantPast)

    private let cells: Int

    private init(label: String, cells: Int) { (self.label, self.cells) = (label, cells) }

    static func forTerminal(label: String, cells: Int) -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 ? ProgressLine(label: label, cells: cells) : nil
    }

    @Sendable func update(cell: Int, done: Int, total: Int) {
        let now = Date()
        let draw = lastDraw.withLock { last in
            guard now.timeIntervalSince(last) >= 0.2 || done == total else { return false }
            last = now
            return true
        }
        guard draw else { return }
        let elapsed = now.timeIntervalSince(started)
        let left = done > 0 ? elapsed * Double(total - done) / Double(done) : 0
        let line = "\r\(label): cell \(cell + 1)/\(cells), \(done)/\(total) replications, \(String(format: "%.0f", elapsed)) s, ETA \(String(format: "%.0f", left)) s   "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
