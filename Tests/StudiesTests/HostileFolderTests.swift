import Foundation
import MonteCarlo
import Studies
import Testing

/// Hostile output folders and part files, through the command as an attacker would use it:
/// planted symlinks, tampered parts and checkpoints, two runs at once, `kill -9` at any point.
struct HostileFolderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let quick = root.appendingPathComponent("studies/quick/sqrt-law.json").path

    /// Sixteen small cells, about half a second in all (debug build, 2 threads): long enough to
    /// be interrupted anywhere, short enough to do it fifty times.
    static let cellsConfig = """
        {"name": "cells", "study": "gauss-newton", "seed": 5, "replications": 6,
         "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 6}, "noise_sigma": 1, "samples": 3000},
         "grid": {"spread": [0, 0.1, 0.3, 1], "batch": [1, 2, 4, 8]}}
        """

    /// A victim outside the output folder, and a check that it is as it was.
    struct Victim {
        let folder: URL
        let file: URL
        init(in parent: URL) throws {
            folder = parent.appendingPathComponent("victim")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("cells"), withIntermediateDirectories: true)
            file = folder.appendingPathComponent("precious.txt")
            try Data("precious".utf8).write(to: file)
            try Data("also precious".utf8).write(to: folder.appendingPathComponent("cells/cell-0.json"))
        }
        var untouched: Bool {
            let names = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).sorted()
            return names == ["cells", "cells/cell-0.json", "precious.txt"]
                && (try? String(contentsOf: file, encoding: .utf8)) == "precious"
                && (try? String(contentsOf: folder.appendingPathComponent("cells/cell-0.json"), encoding: .utf8)) == "also precious"
        }
    }

    func link(_ at: URL, to target: URL) throws {
        try FileManager.default.createDirectory(at: at.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: at, withDestinationURL: target)
    }

    /// Every name a command writes or deletes in a folder, with a symlink planted there: the
    /// victim outside is never written, deleted or followed.
    @Test func plantedSymlinksLeaveTheirTargetsUntouched() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let victim = try Victim(in: scratch)
        let config = scratch.appendingPathComponent("cells.json")
        try Data(Self.cellsConfig.utf8).write(to: config)
        let reference = scratch.appendingPathComponent("reference")
        #expect(try hessianStudy(["run", config.path, "--out", reference.path, "--quiet"]).status == 0)

        // Final names and temporary-looking names: replaced or removed, never followed.
        var n = 0
        for name in ["cells.csv", "cells.md", "cells.json", ".cells.csv.0123456789abcdef.tmp", ".cells.json.fedcba9876543210.old",
                     "cells.part-1-of-2.json", ".checkpoints/cells/cell-3.json", ".checkpoints/cells/.cell-1.json.0123456789abcdef.tmp"] {
            n += 1
            let out = scratch.appendingPathComponent("out\(n)")
            try link(out.appendingPathComponent(name), to: name.hasPrefix(".checkpoints") ? victim.folder.appendingPathComponent("cells/cell-0.json") : victim.file)
            let shard = name.contains("part") ? ["--shard", "1/2"] : []
            let result = try hessianStudy(["run", config.path, "--out", out.path, "--quiet"] + shard)
            #expect(result.status == 0, "\(name): \(result.err)")
            #expect(victim.untouched, "\(name)")
            if shard.isEmpty {
                #expect(try Data(contentsOf: out.appendingPathComponent("cells.csv")) == Data(contentsOf: reference.appendingPathComponent("cells.csv")), "\(name)")
            }
        }

        // Symlinked checkpoint folders: refused with one line naming the link; nothing written there.
        for name in [".checkpoints", ".checkpoints/cells"] {
            n += 1
            let out = scratch.appendingPathComponent("out\(n)")
            try link(out.appendingPathComponent(name), to: victim.folder.appendingPathComponent(name == ".checkpoints" ? "" : "cells"))
            for resume in [[], ["--resume"]] {
                let result = try hessianStudy(["run", config.path, "--out", out.path, "--quiet"] + resume)
                #expect(result.status == 2 && result.err.contains("\(name): is a symbolic link"), "\(name): \(result.err)")
                #expect(result.err.split(separator: "\n").count == 1)
                #expect(victim.untouched, "\(name)")
            }
        }

        // A symlinked checkpoint file is not read on --resume.
        n += 1
        let out = scratch.appendingPathComponent("out\(n)")
        try link(out.appendingPathComponent(".checkpoints/cells/cell-0.json"), to: victim.folder.appendingPathComponent("cells/cell-0.json"))
        let resumed = try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--resume"])
        #expect(resumed.status == 2 && resumed.err.contains("cell-0.json: is a symbolic link"), "\(resumed.err)")
        #expect(victim.untouched)
    }

    /// `report` writes REPORT.md and figures/*.svg over planted symlinks without following them.
    @Test func reportReplacesPlantedSymlinks() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let victim = try Victim(in: scratch)
        let results = scratch.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results.appendingPathComponent("figures"), withIntermediateDirectories: true)
        for file in ["ema.csv", "ema.json"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("results/quick/\(file)"), to: results.appendingPathComponent(file))
        }
        try link(results.appendingPathComponent("REPORT.md"), to: victim.file)
        try link(results.appendingPathComponent("figures/ema.svg"), to: victim.file)
        try link(results.appendingPathComponent("figures/.ema.svg.0123456789abcdef.tmp"), to: victim.file)
        let result = try hessianStudy(["report", results.path])
        #expect(result.status == 0, "\(result.err)")
        #expect(victim.untouched)
        #expect(try String(contentsOf: results.appendingPathComponent("REPORT.md"), encoding: .utf8).hasPrefix("# HessianStudy report"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: results.appendingPathComponent("figures").path) == ["ema.svg"])
    }

    /// Parts and checkpoints edited by one byte, cut short, or with another shard count are
    /// refused with one line naming the file; nothing is written.
    @Test func tamperedPartsAndCheckpointsAreRefused() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let parts = scratch.appendingPathComponent("parts")
        for k in 1...2 {
            #expect(try hessianStudy(["run", Self.quick, "--shard", "\(k)/2", "--out", parts.path, "--quiet"]).status == 0)
        }
        let files = (1...2).map { parts.appendingPathComponent("sqrt-law.part-\($0)-of-2.json") }
        let original = try Data(contentsOf: files[0])
        let text = String(decoding: original, as: UTF8.self)
        // The first statistic of the first record, one digit changed.
        let record = text.range(of: "\"records\":[[")!.upperBound
        let comma = text[record...].firstIndex(of: ",")!
        let digit = text[text.index(after: comma)...].firstIndex(where: { ("1"..."8").contains($0) })!
        var edited = text
        edited.replaceSubrange(digit...digit, with: String(Character(UnicodeScalar(text[digit].asciiValue! + 1))))
        let tampered: [(String, Data)] = [
            ("one statistic", Data(edited.utf8)),
            ("shard count", Data(text.replacingOccurrences(of: "\"shards\":2", with: "\"shards\":3").utf8)),
            ("cut short", original.prefix(original.count / 2)),
            ("no seal", Data(text[..<text.range(of: " \"sha256\"")!.lowerBound].utf8) + Data("}\n".utf8)),
        ]
        for (what, bytes) in tampered {
            #expect(bytes != original, "\(what): the edit did not apply")
            try bytes.write(to: files[0])
            let out = scratch.appendingPathComponent("merged")
            let result = try hessianStudy(["merge", files[0].path, files[1].path, "--out", out.path])
            #expect(result.status == 2, "\(what): \(result.status) \(result.err)")
            #expect(result.err.hasPrefix(files[0].path + ": ") && result.err.split(separator: "\n").count == 1, "\(what): \(result.err)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("sqrt-law.csv").path), "\(what)")
        }
        try original.write(to: files[0])
        #expect(try hessianStudy(["merge", files[0].path, files[1].path, "--out", scratch.appendingPathComponent("merged").path]).status == 0)

        // A checkpoint with one statistic changed: --resume refuses it, naming it.
        let config = scratch.appendingPathComponent("cells.json")
        try Data(Self.cellsConfig.utf8).write(to: config)
        let out = scratch.appendingPathComponent("cut")
        let checkpoint = out.appendingPathComponent(".checkpoints/cells/cell-0.json")
        try interrupt(["run", config.path, "--out", out.path, "--quiet"], when: { FileManager.default.fileExists(atPath: checkpoint.path) })
        var saved = try String(contentsOf: checkpoint, encoding: .utf8)
        let at = saved.range(of: "\"records\":[[")!.upperBound
        let first = saved[at...].firstIndex(of: ",")!
        saved.insert("1", at: saved.index(after: first))
        try Data(saved.utf8).write(to: checkpoint)
        let resumed = try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--resume"])
        #expect(resumed.status == 2 && resumed.err.hasPrefix(out.path + "/.checkpoints/cells/cell-0.json: sha256:"), "\(resumed.err)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("cells.csv").path))
    }

    /// A part whose embedded config is invalid, with a newline in the config's recorded path: the
    /// error names the part file and stays on one line.
    @Test func mergeErrorsNameThePartFile() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let parts = scratch.appendingPathComponent("parts")
        #expect(try hessianStudy(["run", Self.quick, "--shard", "1/1", "--out", parts.path, "--quiet"]).status == 0)
        let file = parts.appendingPathComponent("sqrt-law.part-1-of-1.json")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = String(text[..<text.range(of: " \"sha256\"")!.lowerBound])
        // The config is held as its JSON text, a string: its quotes are escaped.
        text = text.replacingOccurrences(of: "\"config_file\":\"", with: "\"config_file\":\"evil\\nline")
            .replacingOccurrences(of: #"\\"replications\\":\d+"#, with: #"\\"replications\\":-1"#, options: .regularExpression)
        #expect(text.contains("evil\\nline") && text.contains(#"\"replications\":-1"#))
        try Data(PartFile.sealed(text).utf8).write(to: file)
        let result = try hessianStudy(["merge", file.path, "--out", scratch.appendingPathComponent("m").path])
        #expect(result.status == 2 && result.err.hasPrefix(file.path + ": config.replications: "), "\(result.err)")
        #expect(result.err.split(separator: "\n").count == 1)
    }

    /// A config path with HTML, a pipe and a newline reaches NAME.md as text, on one line.
    @Test func pathsReachMarkdownAsText() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("a<img src=x onerror=alert(1)>|b\nc.json")
        try Data(#"{"name": "x", "study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": 1, "samples": 10}}"#.utf8).write(to: config)
        let out = scratch.appendingPathComponent("out")
        #expect(try hessianStudy(["run", config.path, "--out", out.path, "--quiet"]).status == 0)
        let markdown = try String(contentsOf: out.appendingPathComponent("x.md"), encoding: .utf8)
        let line = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("Config ") })
        #expect(line.contains("a&lt;img src=x onerror=alert(1)&gt;\\|b\u{FFFD}c.json"), "\(line)")
        #expect(!markdown.contains("<img"))
    }

    /// Two runs on one folder at once: one succeeds, the other exits 2 at once naming the
    /// process that holds the folder; never a failure halfway.
    @Test func twoRunsOnOneFolderGiveOneSuccessAndOneClearRefusal() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("cells.json")
        try Data(Self.cellsConfig.utf8).write(to: config)
        let reference = scratch.appendingPathComponent("reference")
        #expect(try hessianStudy(["run", config.path, "--out", reference.path, "--quiet"]).status == 0)
        for trial in 0..<5 {
            let out = scratch.appendingPathComponent("out\(trial)")
            let outcomes = try hessianStudyTwiceAtOnce(["run", config.path, "--out", out.path, "--quiet"])
            let statuses = outcomes.map(\.0).sorted()
            #expect(statuses == [0, 2] || statuses == [0, 0], "trial \(trial): \(outcomes)")
            for (status, message, _) in outcomes where status == 2 {
                let holder = outcomes.first { $0.0 == 0 }!.2
                #expect(message.contains("in use by another hessian-study command (process \(holder))"), "\(message)")
                #expect(message.split(separator: "\n").count == 1)
            }
            #expect(try Data(contentsOf: out.appendingPathComponent("cells.csv")) == Data(contentsOf: reference.appendingPathComponent("cells.csv")))
        }
    }

    /// `kill -9` at 50 points spread over a run (the last ones inside the final write), then
    /// `--resume`: the CSV is byte for byte the unbroken run's, and no temporary, backup or
    /// checkpoint is left anywhere in the folder.
    @Test func killNineAnywhereThenResumeGivesTheSameBytesAndNoLeftovers() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("cells.json")
        try Data(Self.cellsConfig.utf8).write(to: config)
        let reference = scratch.appendingPathComponent("reference")
        let started = Date()
        #expect(try hessianStudy(["run", config.path, "--out", reference.path, "--quiet"]).status == 0)
        let duration = Date().timeIntervalSince(started)
        let expected = try Data(contentsOf: reference.appendingPathComponent("cells.csv"))
        var random = Fuzzer(seed: 0x5eed_0f_c0ffee, tokens: [])
        var killed = 0, attempts = 0, estimate = duration
        while killed < 50 && attempts < 150 {
            attempts += 1
            let out = scratch.appendingPathComponent("out\(attempts)")
            // Points spread over the whole run, with more of them near its end (the final write).
            let fraction = killed < 35 ? Double(random.below(1000)) / 1000 : 0.85 + Double(random.below(150)) / 1000
            let process = Process()
            process.executableURL = executable
            process.arguments = ["run", config.path, "--out", out.path, "--quiet"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(fraction * estimate * 1e6))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            } else {
                estimate *= 0.9  // the machine is less loaded than when the estimate was taken
            }
            process.waitUntilExit()
            let resumed = try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--resume"])
            #expect(resumed.status == 0, "attempt \(attempts): \(resumed.err)")
            #expect(try Data(contentsOf: out.appendingPathComponent("cells.csv")) == expected, "attempt \(attempts)")
            let left = (FileManager.default.enumerator(atPath: out.path)?.allObjects as? [String] ?? []).sorted()
            #expect(left == ["cells.csv", "cells.json", "cells.md"], "attempt \(attempts): \(left)")
            try? FileManager.default.removeItem(at: out)
        }
        #expect(killed == 50, "only \(killed) of \(attempts) runs were still running when killed")
    }

    /// Starts the command and sends SIGTERM once `ready` holds.
    func interrupt(_ arguments: [String], when ready: () -> Bool) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !ready(), process.isRunning, Date() < deadline { usleep(5_000) }
        #expect(process.isRunning, "the run finished before it could be interrupted")
        process.terminate()
        process.waitUntilExit()
    }
}

/// Fuzzing `merge`: part files mutated byte by byte or token by token, most of them sealed again
/// so that the mutation reaches the parser and the checks behind the digest. Every case ends in
/// a merged run or a ConfigError (exit 2), never a trap, and within a bounded time.
struct MergeFuzzTests {
    /// The two parts of the quick sqrt-law run, as bytes.
    static func parts(in folder: URL) throws -> [Data] {
        for k in 1...2 {
            let result = try hessianStudy(["run", HostileFolderTests.quick, "--shard", "\(k)/2", "--out", folder.path, "--quiet"])
            precondition(result.status == 0, result.err)
        }
        return try (1...2).map { try Data(contentsOf: folder.appendingPathComponent("sqrt-law.part-\($0)-of-2.json")) }
    }

    /// `bytes` mutated; its seal renewed over the mutated body unless `raw`.
    static func mutated(_ bytes: Data, _ random: inout Fuzzer, raw: Bool) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let body = Array(text[..<text.range(of: " \"sha256\"")!.lowerBound].utf8)
        let changed = random.mutate(body)
        return raw ? changed + Array(text[text.range(of: " \"sha256\"")!.lowerBound...].utf8)
                   : Array(PartFile.sealed(String(decoding: changed, as: UTF8.self)).utf8)
    }

    @Test func mutatedPartsMergeOrGiveAClearError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parts = try Self.parts(in: folder)
        let other = try PartFile.read("part-2", bytes: Array(parts[1]), studies: allStudies)
        var random = Fuzzer(seed: 0x0bad_5eed_1234_5678, tokens: HostileInputTests.tokens)
        var merged = 0, refused = 0
        for n in 0..<600 {
            let bytes = Self.mutated(parts[0], &random, raw: n % 10 == 0)
            let started = Date()
            do {
                let part = try PartFile.read("part-1", bytes: bytes, studies: allStudies)
                let parts = [part, other]
                _ = try PartFile.summarise(PartFile.merge(parts, packageVersion: other.packageVersion), of: parts)  // the build that made them
                merged += 1
            } catch let error as ConfigError {
                #expect(error.file == "part-1" || error.file == "part-2", "case \(n): \(error)")
                #expect(!error.description.contains("\n"), "case \(n): \(error)")
                refused += 1
            }
            #expect(Date().timeIntervalSince(started) < 5, "case \(n) took \(Date().timeIntervalSince(started)) s")
        }
        #expect(merged > 30 && refused > 300, "merged \(merged), refused \(refused)")
    }

    /// 30 of the same cases through the command: each exits 0 or 2 with one line, within seconds.
    @Test func theMergeCommandExitsZeroOrTwo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parts = try Self.parts(in: folder)
        let second = folder.appendingPathComponent("sqrt-law.part-2-of-2.json")
        var random = Fuzzer(seed: 0x7777_1234_abcd_ef01, tokens: HostileInputTests.tokens)
        for n in 0..<30 {
            let file = folder.appendingPathComponent("case-\(n).json")
            try Data(Self.mutated(parts[0], &random, raw: n % 5 == 0)).write(to: file)
            let started = Date()
            let result = try hessianStudy(["merge", file.path, second.path, "--out", folder.appendingPathComponent("out-\(n)").path])
            #expect(result.status == 0 || result.status == 2, "case \(n): \(result.status) \(result.err)")
            if result.status == 2 { #expect(result.err.split(separator: "\n").count == 1 && result.err.hasPrefix(folder.path), "case \(n): \(result.err)") }
            #expect(Date().timeIntervalSince(started) < 10)
        }
    }
}
