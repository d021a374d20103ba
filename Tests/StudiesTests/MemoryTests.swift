import Foundation
import MonteCarlo
import Studies
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// VmHWM (the peak resident set, kB) of process `pid` from /proc, nil once it has exited.
func residentHighWater(_ pid: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
    return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
}

/// Runs `hessian-study` with `arguments` (stdout and stderr to /dev/null) and returns its exit
/// status and its peak resident set size in kB (Foundation's Process does not give it).
///
/// The peak is `ru_maxrss` from `wait4`, except that Linux carries a process's peak across
/// `exec`, and `posix_spawn` starts the child in the parent's address space: a child's `ru_maxrss`
/// is at least the spawning process's own VmHWM (this test process, which other tests may have
/// grown past a small child). So the child's own VmHWM is also sampled from /proc every 0.5 ms
/// while it runs (its address space after `exec` is its own), and `ru_maxrss` is used only when
/// it exceeds this process's VmHWM just after the spawn, i.e. when it is the child's own.
func peakResidentKilobytes(_ arguments: [String]) throws -> (status: Int32, kilobytes: Int) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable.path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    // Read after the spawn returns (the child has exec'd): at least this process's peak then.
    let parentPeak = residentHighWater("self") ?? Int.max
    var status: Int32 = 0
    var usage = rusage()
    var sampled = 0
    while true {
        let waited = wait4(pid, &status, WNOHANG, &usage)
        if waited == pid { break }
        if waited == -1 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            continue
        }
        if let peak = residentHighWater(String(pid)) { sampled = max(sampled, peak) }
        usleep(500)
    }
    // WIFEXITED / WEXITSTATUS; a signal gives 128 + its number, as a shell says.
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let own = usage.ru_maxrss > parentPeak ? usage.ru_maxrss : 0
    return (exitStatus, max(sampled, own))
}

/// The memory check against what runs really use, and huge designs refused before anything is
/// allocated.
@Suite(.serialized) struct MemoryTests {
    /// One study at two sizes: `large` needs a few hundred MB, `tiny` the same study at d = 8
    /// (or 2 replications), whose peak is the process's baseline (~35 MB: the runtime, GSL,
    /// OpenBLAS and the config).
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, large: String, tiny: String
        var testDescription: String { name }
    }

    static func spectrum(_ study: String, _ fixed: String, count: Int, replications: Int = 2) -> String {
        #"{"study": ""# + study + #"", "seed": 1, "replications": \#(replications), "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": \#(count)}, "# + fixed + "}}"
    }

    static let cases: [Case] = [
        Case(name: "sqrt-law none",
             large: spectrum("sqrt-law", #""sigma": 1, "samples": 1"#, count: 300_000),
             tiny: spectrum("sqrt-law", #""sigma": 1, "samples": 1"#, count: 8)),
        Case(name: "sqrt-law haar",
             large: spectrum("sqrt-law", #""sigma": 1, "samples": 256, "rotation": "haar""#, count: 1200, replications: 1),
             tiny: spectrum("sqrt-law", #""sigma": 1, "samples": 256, "rotation": "haar""#, count: 8, replications: 1)),
        Case(name: "gauss-newton",
             large: spectrum("gauss-newton", #""noise_sigma": 1, "samples": 1"#, count: 75_000),
             tiny: spectrum("gauss-newton", #""noise_sigma": 1, "samples": 1"#, count: 8)),
        Case(name: "ema",
             large: #"{"study": "ema", "seed": 1, "replications": 1000000, "fixed": {"beta2": 0.9, "steps": 1}}"#,
             tiny: #"{"study": "ema", "seed": 1, "replications": 2, "fixed": {"beta2": 0.9, "steps": 1}}"#),
        Case(name: "adabelief",
             large: spectrum("adabelief", #""sigma": 1, "offset": 1, "steps": 1"#, count: 150_000),
             tiny: spectrum("adabelief", #""sigma": 1, "offset": 1, "steps": 1"#, count: 8)),
        Case(name: "dynamics",
             large: spectrum("dynamics", #""optimizer": "sgd", "lr": 0.01, "noise_sigma": 1, "steps": 2, "burn_in": 1"#, count: 150_000),
             tiny: spectrum("dynamics", #""optimizer": "sgd", "lr": 0.01, "noise_sigma": 1, "steps": 2, "burn_in": 1"#, count: 8)),
        // d = 250·11 + 251 = 3,001: the 72 MB Hessian dominates (diabetes, so that the GGN's
        // 31,626 pairs of units stay a few seconds in a debug build).
        Case(name: "network",
             large: #"{"study": "network", "seed": 1, "replications": 1, "fixed": {"data": "diabetes", "hidden": 250, "steps": 1}}"#,
             tiny: #"{"study": "network", "seed": 1, "replications": 1, "fixed": {"data": "diabetes", "hidden": 2, "steps": 1}}"#),
    ]

    /// The estimate (``Config/memoryEstimate``, one thread) against the peak RSS of a real run
    /// with one thread, less the baseline of a tiny run of the same study.
    ///
    /// Bounds 0.8 and 2: below 0.8 the check would pass runs that do not fit (what issue 10 is
    /// about); the estimate sums upper bounds (every array at its largest, the result stage's
    /// text at the longest rows) where glibc reuses freed memory, so it may run high, but less
    /// than twice what is used, or the check would refuse runs that fit. Measured ratios were
    /// 0.93–1.35 (see the commit message).
    @Test(arguments: cases) func estimateMatchesPeakResidentMemory(_ study: Case) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func peak(_ text: String, _ name: String) throws -> (estimate: Double, bytes: Double) {
            let file = folder.appendingPathComponent("\(name).json")
            try Data(text.utf8).write(to: file)
            let config = try Config(file: file.path, json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
            let run = try peakResidentKilobytes(["run", file.path, "--out", folder.appendingPathComponent("out").path,
                                                 "--threads", "1", "--quiet"])
            #expect(run.status == 0, "\(study.name) \(name): exit \(run.status)")
            return (config.memoryEstimate, Double(run.kilobytes) * 1024)
        }
        // The baseline is the least of three tiny runs: a run's peak can only be inflated, never
        // deflated, by what else the machine does (once, under a parallel build, a tiny
        // gauss-newton run read 141 MB against its usual 37 MB and failed the ratio).
        let tiny = try (1...3).map { try peak(study.tiny, "tiny-\($0)") }.min { $0.bytes < $1.bytes }!
        let large = try peak(study.large, "large")
        let measured = large.bytes - tiny.bytes
        let ratio = large.estimate / measured
        print("memory \(study.name): estimate \(Int(large.estimate / 1e6)) MB, peak \(Int(large.bytes / 1e6)) MB, baseline \(Int(tiny.bytes / 1e6)) MB, estimate/(peak − baseline) \(String(format: "%.2f", ratio))")
        #expect(measured > 50e6, "\(study.name): the run should dominate the baseline, used \(measured) bytes")
        #expect(ratio >= 0.8 && ratio <= 2, "\(study.name): estimate \(large.estimate) against \(measured) bytes used")
    }

    /// Designs far beyond memory are refused by `check` (exit 2, one line naming the key) before
    /// anything is allocated: the check itself stays at the baseline.
    @Test(arguments: [
        (#"{"study": "ema", "seed": 1, "replications": 2147483648, "fixed": {"beta2": 0.9, "steps": 1}}"#, "replications"),
        (#"{"study": "sqrt-law", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 1000000000}, "sigma": 1, "samples": 1}}"#, "fixed.spectrum"),
        (#"{"study": "sqrt-law", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 100000}, "sigma": 1, "samples": 1, "rotation": "haar"}}"#, "fixed.spectrum"),
        (#"{"study": "dynamics", "seed": 1, "replications": 1, "fixed": {"lr": 0.01, "noise_sigma": 1, "spectrum": {"min": 1, "max": 2, "count": 1000000000}, "steps": 2}}"#, "fixed.spectrum"),
        (#"{"study": "gauss-newton", "seed": 1, "replications": 1, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 9007199254740992}, "noise_sigma": 1, "samples": 1}}"#, "fixed.spectrum"),
        (#"{"study": "adabelief", "seed": 1, "replications": 2147483648, "fixed": {"spectrum": [1, 2], "sigma": 1, "offset": 0, "steps": 2}}"#, "replications"),
    ])
    func hugeDesignsAreRefusedBeforeAllocating(text: String, key: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("huge.json")
        try Data(text.utf8).write(to: file)
        let result = try hessianStudy(["check", file.path])
        #expect(result.status == 2, "\(result.err)")
        #expect(result.err.hasPrefix("\(file.path): \(key): "), "\(result.err)")
        #expect(result.err.contains("more than this machine's") && result.err.split(separator: "\n").count == 1, "\(result.err)")
        let peak = try peakResidentKilobytes(["check", file.path])
        #expect(peak.status == 2 && peak.kilobytes < 100_000, "check used \(peak.kilobytes) kB")
        for arguments in [["run", file.path, "--out", folder.appendingPathComponent("out").path, "--quiet"],
                          ["replicate", file.path, "--cell", "0", "--replication", "0"]] {
            let other = try hessianStudy(arguments)
            #expect(other.status == 2 && other.err == result.err, "\(arguments[0]): \(other.status) \(other.err)")
        }
        // In process too, as a ConfigError on the same key.
        let error = #expect(throws: ConfigError.self) {
            try Config(file: "huge.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        }
        #expect(error?.key == key)
    }

    /// A run that fits with one worker but not with `--threads` workspaces is refused by `run`
    /// before it allocates (the config alone passes `check`); with one replication only one
    /// worker has work, and the same run is not refused.
    @Test func workspacesOfEveryThreadAreCounted() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("haar.json")
        let text = Self.spectrum("sqrt-law", #""sigma": 1, "samples": 256, "rotation": "haar""#, count: 1500, replications: 5000)
        try Data(text.utf8).write(to: file)
        let config = try Config(file: file.path, json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        // Five 1500×1500 matrices a worker: 90 MB, so 4096 workers need 370 GB.
        #expect(config.memory.workspace > 85e6 && config.memory.bytes(threads: 4096) > MemoryBudget.physicalBytes)
        #expect(try hessianStudy(["check", file.path]).status == 0)
        let result = try hessianStudy(["run", file.path, "--threads", "4096", "--out", folder.appendingPathComponent("out").path, "--quiet"])
        #expect(result.status == 2, "\(result.err)")
        #expect(result.err.hasPrefix("\(file.path): fixed.spectrum: ") && result.err.contains("on 4096 threads"), "\(result.err)")
        #expect(throws: ConfigError.self) { try Runner(config: config, threads: 4096).requireMemory() }
        let one = Self.spectrum("sqrt-law", #""sigma": 1, "samples": 256, "rotation": "haar""#, count: 1500, replications: 1)
        let single = try Config(file: "one.json", json: JSONValue.parse(Array(one.utf8)), studies: allStudies)
        try Runner(config: single, threads: 4096).requireMemory()
    }

    /// A grid of 2^64 cells (four axes of 2^16 values: the count wrapped to 0) exits 2 naming
    /// `grid` from `check`, `run`, `replicate` and `report`, and is a ConfigError on `grid` in process.
    @Test func gridOf2To64CellsIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func axis(_ value: String) -> String { "[" + Array(repeating: value, count: 1 << 16).joined(separator: ",") + "]" }
        let text = #"{"study": "sqrt-law", "seed": 1, "replications": 1, "grid": {"spectrum": "# + axis("[1]")
            + #", "sigma": "# + axis("1") + #", "alpha": "# + axis("0") + #", "samples": "# + axis("1") + "}}"
        let file = folder.appendingPathComponent("grid.json")
        try Data(text.utf8).write(to: file)
        let expected = "\(file.path): grid: has 2^64 cells; at most \(Config.maximumCells)\n"
        for arguments in [["check", file.path], ["run", file.path, "--out", folder.appendingPathComponent("out").path, "--quiet"],
                          ["replicate", file.path, "--cell", "0", "--replication", "0"]] {
            let result = try hessianStudy(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.status)")
            #expect(result.err == expected, "\(arguments[0]): \(result.err)")
        }
        // The same config as a manifest in a results folder: `report` refuses it, naming the key.
        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        try Data("cell,quantity,index,estimate,mcse,theory\n".utf8).write(to: results.appendingPathComponent("grid.csv"))
        try Data(#"{"name": "grid", "study": "sqrt-law", "config": "#.utf8 + Data(text.utf8) + Data("}".utf8))
            .write(to: results.appendingPathComponent("grid.json"))
        let report = try hessianStudy(["report", results.path])
        #expect(report.status == 2 && report.err.contains("grid.json: config.grid: has 2^64 cells"), "\(report.err)")
        let error = #expect(throws: ConfigError.self) {
            try Config(file: "grid.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        }
        #expect(error?.key == "grid")
        // Replications whose streams overflow the 32-bit seeds, and a product that would overflow.
        let streams = #expect(throws: ConfigError.self) {
            try Config(file: "r.json", json: JSONValue.parse(Array(#"{"study": "ema", "seed": 1, "replications": 9007199254740992, "grid": {"beta2": [0.1, 0.2, 0.3]}, "fixed": {"steps": 1}}"#.utf8)), studies: allStudies)
        }
        #expect(streams?.key == "replications")
    }
}
