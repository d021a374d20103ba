import Foundation
import MonteCarlo
import Report
import Reporting
import Studies
import TestSupport
import Testing

/// Issue 23, classes 1, 4, 5 and 7: what `report` reads, result sets bound to their manifests,
/// names that cannot meet, gnuplot under a time limit and signals.
extension HostileFolderTests {
    /// Runs `configs` (JSON texts, by name) into `out`; each must succeed.
    func run(_ configs: [String: String], into out: URL, _ extra: [String] = []) throws {
        let folder = out.deletingLastPathComponent()
        var paths: [String] = []
        for (name, text) in configs.sorted(by: { $0.key < $1.key }) {
            let file = folder.appendingPathComponent("\(name)-config.json")
            try Data(text.utf8).write(to: file)
            paths.append(file.path)
        }
        let result = try hessianStudy(["run"] + paths + ["--out", out.path, "--quiet"] + extra)
        #expect(result.status == 0, "\(result.err)")
    }

    static func sqrtLaw(_ name: String, seed: Int = 1) -> String {
        #"{"name": "\#(name)", "study": "sqrt-law", "seed": \#(seed), "replications": 4, "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 4}, "sigma": 0.5, "samples": 200}, "grid": {"alpha": [0, 1]}}"#
    }

    static func dynamics(_ name: String) -> String {
        #"{"name": "\#(name)", "study": "dynamics", "seed": 3, "replications": 2, "fixed": {"lr": 0.01, "noise_sigma": 0.0004, "spectrum": {"min": 0.01, "max": 10, "count": 4}, "steps": 400, "burn_in": 200}, "grid": {"optimizer": ["rmsprop", "adam"], "beta2": [0.99, 0.999]}}"#
    }

    func entries(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    // MARK: 1. report reads only the sets, and asks nothing of this machine

    /// A folder made by `run --per-replication` is reported; so is one whose
    /// `NAME.replications.csv` is garbage or a FIFO (report never reads it), and a manifest
    /// whose config needs more memory than this machine has, and network results where `data/`
    /// is absent (report reads no data file).
    @Test func reportReadsOnlyWhatItNeeds() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        try run(["s": Self.sqrtLaw("s")], into: out, ["--per-replication"])
        #expect(entries(out).contains("s.replications.csv"))
        var result = try hessianStudy(["report", out.path])
        #expect(result.status == 0, "per-replication folder: \(result.err)")
        // The per-replication file replaced by something no CSV reader could take.
        try FileManager.default.removeItem(at: out.appendingPathComponent("s.replications.csv"))
        #expect(mkfifo(out.appendingPathComponent("s.replications.csv").path, 0o600) == 0)
        result = try hessianStudy(["report", out.path], timeout: 30)
        #expect(result.status == 0, "a FIFO as NAME.replications.csv: \(result.err)")

        // 2^28 replications of 2 cells: statistics of some 10 GB per output, far beyond this machine.
        let manifest = out.appendingPathComponent("s.json")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        let huge = text.replacingOccurrences(of: "\"replications\":4", with: "\"replications\":268435456")
        #expect(huge != text)
        guard case .object(let object) = try JSONValue.parse(Array(huge.utf8)), let source = object["config"] else {
            Issue.record("the manifest has no config")
            return
        }
        let hugeConfig = try Config(file: "m", json: source, studies: allStudies, purpose: .record)
        #expect(throws: ConfigError.self, "the same config is refused for running here") {
            try Config(file: "m", json: source, studies: allStudies)
        }
        #expect(hugeConfig.replications == 1 << 28)
        try Data(huge.utf8).write(to: manifest)
        result = try hessianStudy(["report", out.path])
        #expect(result.status == 0, "a manifest from a bigger machine: \(result.err)")

        // Network results with no data folder at all.
        let empty = scratch.appendingPathComponent("no-data")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        let network = try temporaryResultsCopy(["network"], from: Self.root.appendingPathComponent("results/quick"), into: scratch)
        result = try hessianStudy(["report", network.path], environment: [DataFolder.variable: empty.path])
        #expect(result.status == 0, "network results without data: \(result.err)")
        // …while running them there is refused, naming the data folder.
        result = try hessianStudy(["check", Self.root.appendingPathComponent("studies/quick/network.json").path], environment: [DataFolder.variable: empty.path])
        #expect(result.status == 2 && (result.err.contains("digits.csv") || result.err.contains("diabetes.csv")), "\(result.err)")
    }

    /// Copies the result files (CSV and manifest) of `names` from `source` into a new folder.
    func temporaryResultsCopy(_ names: [String], from source: URL, into parent: URL) throws -> URL {
        let folder = parent.appendingPathComponent("copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        for name in names {
            for ext in ["csv", "json"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent("\(name).\(ext)"), to: folder.appendingPathComponent("\(name).\(ext)"))
            }
        }
        return folder
    }

    // MARK: 4. a set that contradicts itself is refused or made whole

    /// A CSV from one run beside the manifest of another is refused (exit 2, naming the CSV);
    /// so is a CSV edited in a way that keeps it well-formed (one estimate's last digit).
    @Test func aCSVBesideAnotherRunsManifestIsRefused() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let a = scratch.appendingPathComponent("a"), b = scratch.appendingPathComponent("b")
        try run(["s": Self.sqrtLaw("s", seed: 1)], into: a)
        try run(["s": Self.sqrtLaw("s", seed: 2)], into: b)
        try FileManager.default.removeItem(at: a.appendingPathComponent("s.csv"))
        try FileManager.default.copyItem(at: b.appendingPathComponent("s.csv"), to: a.appendingPathComponent("s.csv"))
        var result = try hessianStudy(["report", a.path])
        #expect(result.status == 2 && result.err.contains("s.csv: is not the file its manifest names"), "\(result.err)")
        #expect(!entries(a).contains("REPORT.md"))

        let csv = b.appendingPathComponent("s.csv")
        var text = try String(contentsOf: csv, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").dropFirst().first)
        var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let estimate = try #require(fields.firstIndex { Double($0) != nil && $0.contains("e") })
        fields[estimate] = String(fields[estimate].dropLast()) + (fields[estimate].last == "1" ? "2" : "1")
        text = text.replacingOccurrences(of: String(line), with: fields.joined(separator: ","))
        try Data(text.utf8).write(to: csv)
        result = try hessianStudy(["report", b.path])
        #expect(result.status == 2 && result.err.contains("s.csv: is not the file its manifest names"), "\(result.err)")
    }

    /// A write killed between its renames leaves the new CSV under the old manifest, with the
    /// old CSV as a backup and the new manifest and md as temporaries. `report` finishes it
    /// (forward: the new set); with the new manifest lost, it puts the old set back (back); and
    /// `quote`, which may not write, refuses the folder until then. No temporary or backup is left.
    @Test func aSetHalfReplacedIsMadeWholeByReport() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let old = scratch.appendingPathComponent("old"), new = scratch.appendingPathComponent("new")
        try run(["s": Self.sqrtLaw("s", seed: 1)], into: old)
        try run(["s": Self.sqrtLaw("s", seed: 2)], into: new)
        func bytes(_ folder: URL, _ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

        for direction in ["forward", "back"] {
            let folder = scratch.appendingPathComponent(direction)
            try FileManager.default.copyItem(at: old, to: folder)
            // The state after the CSV's rename: its backup, the new CSV in place, the rest pending.
            try FileManager.default.moveItem(at: folder.appendingPathComponent("s.csv"), to: folder.appendingPathComponent(".s.csv.0123456789abcdef.old"))
            try bytes(new, "s.csv").write(to: folder.appendingPathComponent("s.csv"))
            try bytes(new, "s.md").write(to: folder.appendingPathComponent(".s.md.00000000000000aa.tmp"))
            if direction == "forward" {
                try bytes(new, "s.json").write(to: folder.appendingPathComponent(".s.json.00000000000000bb.tmp"))
            } else {
                // A manifest temporary cut short (the write was killed while writing it).
                try bytes(new, "s.json").prefix(100).write(to: folder.appendingPathComponent(".s.json.00000000000000bb.tmp"))
            }
            let quote = scratch.appendingPathComponent("doc.md")
            try Data("<!-- results: verdicts -->\n<!-- /results -->\n".utf8).write(to: quote)
            let refused = try hessianStudy(["quote", folder.path, quote.path])
            #expect(refused.status == 2 && refused.err.contains("interrupted"), "\(direction): \(refused.err)")

            let result = try hessianStudy(["report", folder.path])
            #expect(result.status == 0, "\(direction): \(result.err)")
            #expect(result.err.contains("made whole") && result.err.contains("s"), "\(direction): \(result.err)")
            let expected = direction == "forward" ? new : old
            for name in ["s.csv", "s.json", "s.md"] {
                #expect(try bytes(folder, name) == bytes(expected, name), "\(direction): \(name)")
            }
            #expect(entries(folder) == ["REPORT.md", "figures", "s.csv", "s.json", "s.md"], "\(direction): \(entries(folder))")
        }
    }

    // MARK: 5. names that cannot meet

    /// Two sets whose old figure names met (`dyn` + `-adam` and `dyn-adam`) now draw four
    /// distinct files, each linked under its own set; a config named REPORT (in any case), or
    /// with a '.', is refused before anything runs.
    @Test func outputNamesCannotCollide() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        try run(["dyn": Self.dynamics("dyn"), "dyn-adam": Self.dynamics("dyn-adam")], into: out)
        let result = try hessianStudy(["report", out.path])
        #expect(result.status == 0, "\(result.err)")
        let figures = entries(out.appendingPathComponent("figures"))
        #expect(figures == ["dyn-adam.adam.svg", "dyn-adam.rmsprop.svg", "dyn.adam.svg", "dyn.rmsprop.svg"], "\(figures)")
        let report = try String(contentsOf: out.appendingPathComponent("REPORT.md"), encoding: .utf8)
        #expect(report.contains("figures/dyn.adam.svg") && report.contains("figures/dyn-adam.adam.svg"))

        for name in ["REPORT", "report", "Report", "x.replications", "x.part-1-of-2", "-x", "a b", ".x", ""] {
            let config = scratch.appendingPathComponent("named.json")
            try Data(Self.sqrtLaw(name).utf8).write(to: config)
            let refused = try hessianStudy(["run", config.path, "--out", out.path, "--quiet"])
            #expect(refused.status == 2 && refused.err.contains("name:"), "\(name): \(refused.err)")
        }
        // Without "name", the file's stem is the name, and a stem with a '.' is refused too.
        let dotted = scratch.appendingPathComponent("my.config.json")
        try Data(Self.sqrtLaw("x").replacingOccurrences(of: #""name": "x", "#, with: "").utf8).write(to: dotted)
        let refused = try hessianStudy(["check", dotted.path])
        #expect(refused.status == 2 && refused.err.contains("my.config"), "\(refused.err)")
        #expect(entries(out).filter { $0.hasPrefix("REPORT") } == ["REPORT.md"])
    }

    // MARK: 7. gnuplot under a time limit and under signals

    /// A stand-in `gnuplot` that records its process ID and hangs.
    func hangingGnuplot(in folder: URL) throws -> (path: String, pid: URL) {
        let bin = folder.appendingPathComponent("bin"), pid = folder.appendingPathComponent("gnuplot.pid")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let script = bin.appendingPathComponent("gnuplot")
        try Data("#!/bin/sh\necho $$ > '\(pid.path)'\nexec sleep 1000\n".utf8).write(to: script)
        #expect(chmod(script.path, 0o755) == 0)
        return (bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), pid)
    }

    /// Whether the process whose ID is in `pidFile` still runs, waiting up to 2 s for a kill to
    /// land. A zombie (killed, not yet reaped by whoever inherited it) does not run.
    func isAlive(_ pidFile: URL) -> Bool {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        func running() -> Bool {
            guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let state = stat.split(separator: ")").last?.split(separator: " ").first else { return false }
            return state != "Z" && state != "X"
        }
        let deadline = Date().addingTimeInterval(2)
        while running() {
            if Date() > deadline { return true }
            usleep(20_000)
        }
        return false
    }

    /// A hung gnuplot is stopped after `--figure-timeout` (exit 1 naming the figure), and is
    /// dead afterwards; SIGINT and SIGTERM during drawing kill it and remove the scratch folder,
    /// and the exit status is the signal's (130, 143), not the error the killed child causes.
    @Test func gnuplotIsTimedAndCleanedUpOnSignals() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        try run(["s": Self.sqrtLaw("s")], into: out)
        let (path, pidFile) = try hangingGnuplot(in: scratch)
        let temporary = scratch.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        let environment = ["PATH": path, "TMPDIR": temporary.path]

        let timed = try hessianStudy(["report", out.path, "--figure-timeout", "1"], environment: environment, timeout: 30)
        #expect(timed.status == 1 && timed.err.contains("gnuplot took more than 1 s on s"), "\(timed.err)")
        #expect(timed.seconds < 10, "\(timed.seconds) s")
        #expect(!isAlive(pidFile), "gnuplot still runs")
        #expect(entries(temporary).isEmpty, "\(entries(temporary))")
        for bad in ["0", "-1", "nan", "1e9"] {
            let refused = try hessianStudy(["report", out.path, "--figure-timeout", bad])
            #expect(refused.status == 2, "\(bad): \(refused.err)")
        }

        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            try? FileManager.default.removeItem(at: pidFile)
            let process = Process()
            process.executableURL = executable
            process.arguments = ["report", out.path]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: pidFile.path), Date() < deadline { usleep(10_000) }
            usleep(50_000)
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(process.terminationStatus == status, "signal \(signal): status \(process.terminationStatus)")
            #expect(!isAlive(pidFile), "signal \(signal): gnuplot still runs")
            #expect(entries(temporary).isEmpty, "signal \(signal): \(entries(temporary))")
            #expect(!entries(out).contains("REPORT.md"), "signal \(signal)")
        }
    }
}
