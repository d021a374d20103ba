#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MonteCarlo
import Reporting
import Studies
import Synchronization

/// The figures of `results/figures/`, drawn by gnuplot from the study CSVs.
public enum Figures {
    /// The figures of every results file, each drawn by the study its manifest names (a file
    /// without a manifest, or of a study not in `studies`, has none), in file-name order.
    public static func all(_ report: StudyReport, studies: [any ReportedStudy.Type] = allStudies) -> [Figure] {
        report.studies.keys.sorted().flatMap { name -> [Figure] in
            guard let results = report.studies[name], let study = results.config?.study,
                  let reported = studies.first(where: { $0.name == study.name }) else { return [] }
            let figures = reported.figures(results)
            precondition(Set(figures.map(\.role)).count == figures.count, "\(reported.name) gives two figures one role")
            return figures.map { $0.place(in: name) }
        }
    }

    /// How long gnuplot may take on one figure, by default (`report --figure-timeout`): the
    /// committed figures take well under a second each.
    public static let defaultTimeout = 60.0

    /// Draws each figure with gnuplot and returns its file name (`NAME.svg` or `NAME.png`) and
    /// bytes. No text from the results folder, and no path, enters a script: gnuplot runs (without
    /// a shell) in a fresh private folder (mkdtemp, mode 0700, removed afterwards), reads the
    /// figure's data files there by constant names and writes a constant output name there, which
    /// is then read back. Titles hold only ``Text/plotLabel(_:)`` text.
    ///
    /// gnuplot gets `timeout` seconds per figure and is killed after that (a ``ReportError``).
    /// SIGINT or SIGTERM during drawing kills gnuplot and removes the scratch folder
    /// (``InterruptCleanup``) before the process exits.
    public static func draw(_ figures: [Figure], png: Bool = false, timeout: Double = defaultTimeout) throws -> [(file: String, bytes: Data)] {
        var template = Array((FileManager.default.temporaryDirectory.path + "/hessian-report-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ReportError("cannot make a scratch folder for gnuplot: \(String(cString: strerror(errno)))")
        }
        let scratch = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        // Removed once, by whichever of the drawing thread and the signal handler comes first
        // while the other waits (two removals at once each give up at the other's first
        // deletion and can leave the folder); tried again while a file the killed gnuplot was
        // still writing keeps it from going.
        let removed = Mutex(false)
        let removeScratch: @Sendable () -> Void = {
            removed.withLock { done in
                for _ in 0..<20 where !done {
                    try? FileManager.default.removeItem(at: scratch)
                    done = !FileManager.default.fileExists(atPath: scratch.path)
                    if !done { usleep(10_000) }
                }
            }
        }
        let registration = InterruptCleanup.register(removeScratch)
        defer {
            removeScratch()
            InterruptCleanup.remove(registration)
        }
        let terminal = png
            ? "set terminal pngcairo size 900,620 enhanced font 'DejaVu Sans,12' background rgb 'white'"
            : "set terminal svg size 900,620 dynamic enhanced font 'DejaVu Sans,13' background rgb 'white'"
        let output = png ? "figure.png" : "figure.svg"
        var drawn: [(file: String, bytes: Data)] = []
        for figure in figures {
            for (name, text) in figure.data {
                try Data(text.utf8).write(to: scratch.appendingPathComponent(name), options: .withoutOverwriting)
            }
            let script = "\(terminal)\nset output '\(output)'\n\(Figure.style)\n\(figure.script)\nunset output\n"
            try Data(script.utf8).write(to: scratch.appendingPathComponent("figure.gp"), options: .withoutOverwriting)
            let message = try gnuplot(in: scratch, figure: figure.name, timeout: timeout)
            let result = scratch.appendingPathComponent(output)
            guard message.status == 0, let bytes = try? Data(contentsOf: result) else {
                let last = message.errors.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no output"
                throw ReportError("gnuplot failed on \(figure.name): \(Text.quoted(last))")
            }
            drawn.append(("\(figure.name).\(png ? "png" : "svg")", bytes))
            for name in Array(figure.data.keys) + ["figure.gp", output, "gnuplot.err"] {
                try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name))
            }
        }
        return drawn
    }

    /// Runs `gnuplot figure.gp` in `scratch` (found on PATH, no shell), its stderr to a file there
    /// (a pipe could fill, or never close if gnuplot hangs); kills it after `timeout` seconds.
    private static func gnuplot(in scratch: URL, figure: String, timeout: Double) throws -> (status: Int32, errors: String) {
        let errors = scratch.appendingPathComponent("gnuplot.err")
        guard FileManager.default.createFile(atPath: errors.path, contents: nil), let errorFile = try? FileHandle(forWritingTo: errors) else {
            throw ReportError("cannot write in the scratch folder \(scratch.path)")
        }
        defer { try? errorFile.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gnuplot", "figure.gp"]
        process.currentDirectoryURL = scratch
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorFile
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch {
            throw ReportError("gnuplot cannot be started (install gnuplot-nox): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        let registration = InterruptCleanup.register { kill(pid, SIGKILL) }
        defer { InterruptCleanup.remove(registration) }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(pid, SIGKILL)
            finished.wait()
            throw ReportError("gnuplot took more than \(format(timeout)) s on \(figure) and was stopped (report --figure-timeout sets the limit)")
        }
        return (process.terminationStatus, String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self))
    }
}
