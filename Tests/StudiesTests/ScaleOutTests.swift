import Foundation
import MonteCarlo
import Testing

/// Sharding, merging, interruption and resumption through the command, as users run them.
struct ScaleOutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let config = root.appendingPathComponent("studies/quick/sqrt-law.json").path

    /// Four shards run in parallel processes and merged give the unsharded CSV byte for byte.
    @Test func fourShardsMergeToTheUnshardedCSV() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parts = folder.appendingPathComponent("parts")
        let shards = try (1...4).map { k in
            let process = Process()
            process.executableURL = executable
            process.arguments = ["run", Self.config, "--shard", "\(k)/4", "--out", parts.path, "--quiet", "--threads", "1"]
            try process.run()
            return process
        }
        for process in shards {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let partFiles = (1...4).map { parts.appendingPathComponent("sqrt-law.part-\($0)-of-4.json").path }
        let merged = try hessianStudy(["merge"] + partFiles + ["--out", folder.appendingPathComponent("merged").path])
        #expect(merged.status == 0, "\(merged.err)")
        let whole = try hessianStudy(["run", Self.config, "--out", folder.appendingPathComponent("whole").path, "--quiet"])
        #expect(whole.status == 0)
        let a = try Data(contentsOf: folder.appendingPathComponent("merged/sqrt-law.csv"))
        let b = try Data(contentsOf: folder.appendingPathComponent("whole/sqrt-law.csv"))
        #expect(a == b)

        // Missing, duplicated and foreign parts are refused with one line naming the problem.
        let missing = try hessianStudy(["merge"] + partFiles.dropLast() + ["--out", folder.path])
        #expect(missing.status == 2 && missing.err.contains("missing shard 4/4"), "\(missing.err)")
        let twice = try hessianStudy(["merge"] + partFiles + [partFiles[0], "--out", folder.path])
        #expect(twice.status == 2 && twice.err.contains("given twice"), "\(twice.err)")
        let other = try hessianStudy(["run", Self.root.appendingPathComponent("studies/quick/ema.json").path, "--shard", "4/4", "--out", parts.path, "--quiet"])
        #expect(other.status == 0)
        let foreign = try hessianStudy(["merge"] + partFiles.dropLast() + [parts.appendingPathComponent("ema.part-4-of-4.json").path, "--out", folder.path])
        #expect(foreign.status == 2 && foreign.err.contains("another config"), "\(foreign.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("sqrt-law.csv").path))
    }

    /// SIGTERM midway leaves no result file (only checkpoints of whole cells); `--resume` goes on
    /// from them and writes the CSV an unbroken run writes.
    @Test func aRunKilledMidwayResumesToTheSameCSV() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("long.json")
        // Eight cells of about 0.3 s each (debug build, 2 threads).
        try Data("""
            {"name": "long", "study": "gauss-newton", "seed": 3, "replications": 8,
             "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 8}, "noise_sigma": 1, "samples": 20000},
             "grid": {"spread": [0, 0.1, 0.3, 1], "batch": [1, 2]}}
            """.utf8).write(to: config)
        let cut = folder.appendingPathComponent("cut")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["run", config.path, "--out", cut.path, "--quiet", "--threads", "2"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let checkpoints = cut.appendingPathComponent(".checkpoints/long")
        let deadline = Date().addingTimeInterval(60)
        while ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).filter({ $0.hasSuffix(".json") }).isEmpty,
              process.isRunning, Date() < deadline {
            usleep(20_000)
        }
        #expect(process.isRunning, "the run finished before it could be interrupted; make the config longer")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        let left = try FileManager.default.contentsOfDirectory(atPath: cut.path)
        #expect(left == [".checkpoints"], "only checkpoints may remain: \(left)")

        let resumed = try hessianStudy(["run", config.path, "--out", cut.path, "--resume"])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.err.contains("resuming,") && !resumed.err.contains("resuming, 0 of"), "\(resumed.err)")
        let whole = try hessianStudy(["run", config.path, "--out", folder.appendingPathComponent("whole").path, "--quiet"])
        #expect(whole.status == 0)
        #expect(try Data(contentsOf: cut.appendingPathComponent("long.csv")) == Data(contentsOf: folder.appendingPathComponent("whole/long.csv")))
        #expect(!FileManager.default.fileExists(atPath: cut.appendingPathComponent(".checkpoints").path), "checkpoints are removed once the results are written")
    }
}

/// The studies added last are as deterministic as the rest: the same CSV bytes for 1, 2 and 3
/// workers (each replication owns its stream; the summary does not depend on which worker
/// finished first).
struct NewStudiesDeterminismTests {
    @Test(arguments: [
        #"{"study": "network", "seed": 4, "replications": 5, "fixed": {"data": "digits", "model": "mlp", "hidden": 4, "steps": 120, "batch": 64}, "grid": {"beta2": [0.9, 0.999]}}"#,
        #"{"study": "dynamics", "seed": 6, "replications": 5, "fixed": {"lr": 0.01, "noise_sigma": 0.002, "spectrum": [0.1, 1, 10], "rotation": "haar", "steps": 400, "burn_in": 100}, "grid": {"noise": ["hessian", "misaligned"], "optimizer": ["rmsprop", "adam"]}}"#,
        #"{"study": "ema", "seed": 8, "replications": 50, "fixed": {"steps": 200, "drift": 0.01}, "grid": {"beta2": [0.9, 0.99]}}"#,
    ])
    func csvBytesDoNotDependOnThreads(config: String) throws {
        let csvs = try [1, 2, 3].map { threads in
            let (config, results) = try run(config, threads: threads)
            return ResultFiles(config: config, results: results).csv
        }
        #expect(csvs[0] == csvs[1])
        #expect(csvs[0] == csvs[2])
        #expect(csvs[0].count > 500)
    }
}
