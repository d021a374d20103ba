import ArgumentParser
import Foundation

/// `--out DIR`: the folder the result files go to (`run`, `merge`).
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder for the result files (created if missing).", valueName: "dir"))
    var out: String = "results"
}

/// `--threads N`: worker threads, 1...4096; the number of cores if not given (`run`).
struct ThreadOptions: ParsableArguments {
    @Option(name: .customLong("threads"), help: ArgumentHelp("Worker threads (default: the number of cores).", valueName: "n"))
    var given: Int?

    /// The threads to use.
    var threads: Int { given ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        guard (1...4096).contains(threads) else { throw ValidationError("--threads: must be in 1...4096, got \(threads)") }
    }
}

/// `--quiet`: no progress line and no summary lines on stderr (`run`).
struct ProgressOptions: ParsableArguments {
    @Flag(help: "No progress line on stderr.")
    var quiet = false

    /// A progress line for `label` (``ProgressLine``), unless quiet or stderr is not a terminal.
    func progressLine(label: String, cells: Int) -> ProgressLine? {
        quiet ? nil : ProgressLine.forTerminal(label: label, cells: cells)
    }

    /// Writes `line` on stderr unless quiet.
    func say(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
