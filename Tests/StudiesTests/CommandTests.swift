import Foundation
import Testing

/// The `hessian-study` command as users meet it: exit status 2 and one line naming the file and
/// the key for every bad input, no result file left behind, and a hand-written config that
/// reproduces T1.
struct CommandTests {
    static let validFixed = #""spectrum": [0.5, 2], "sigma": 1, "samples": 10"#

    /// (what is wrong, the config text or nil for a missing file, the key the message must name)
    static let badConfigs: [(String, String?, String)] = [
        ("missing file", nil, "no such file"),
        ("not JSON", #"{"study": "sqrt-law", "seed": 1,"#, "not valid JSON"),
        ("unknown study", #"{"study": "sqrt", "seed": 1, "replications": 2}"#, "study:"),
        ("unknown key", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(validFixed), "beta": 1}}"#, "fixed.beta:"),
        ("fixed and grid", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(validFixed)}, "grid": {"sigma": [1, 2]}}"#, "fixed.sigma:"),
        ("wrong type", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": "big", "samples": 10}}"#, "fixed.sigma:"),
        ("empty spectrum", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [], "sigma": 1, "samples": 10}}"#, "fixed.spectrum:"),
        ("non-positive eigenvalue", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1, 0], "sigma": 1, "samples": 10}}"#, "fixed.spectrum[1]:"),
        ("sigma ≤ 0", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": 0, "samples": 10}}"#, "fixed.sigma:"),
        ("replications 0", #"{"study": "sqrt-law", "seed": 1, "replications": 0, "fixed": {\#(validFixed)}}"#, "replications:"),
        ("dimension too large (haar)", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 2000000}, "sigma": 1, "samples": 10, "rotation": "haar"}}"#, "fixed.spectrum:"),
        ("dimension too large (diagonal)", #"{"study": "sqrt-law", "seed": 1, "replications": 100, "fixed": {"spectrum": {"min": 1, "max": 2, "count": 9000000000000}, "sigma": 1, "samples": 10}}"#, "fixed.spectrum:"),
        ("alpha in a grid, wrong type", #"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(validFixed)}, "grid": {"alpha": [0, "x"]}}"#, "grid.alpha[1]:"),
    ]

    @Test(arguments: badConfigs.indices)
    func badConfigExitsTwoWithOneLineAndWritesNothing(case index: Int) throws {
        let (what, text, key) = Self.badConfigs[index]
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.json")
        if let text { try Data(text.utf8).write(to: file) }
        let out = folder.appendingPathComponent("out")
        let result = try hessianStudy(["run", file.path, "--out", out.path])
        #expect(result.status == 2, "\(what): status \(result.status), stderr \(result.err)")
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 1, "\(what): \(result.err)")
        #expect(result.err.hasPrefix(file.path + ": "), "\(what): names the file: \(result.err)")
        #expect(result.err.contains(key), "\(what): names \(key): \(result.err)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        #expect(written.isEmpty, "\(what): left \(written)")
    }

    @Test(arguments: [["run"], ["run", "x.json", "--threads", "0"], ["frobnicate"], ["run", "x.json", "--bogus"],
                      ["run", "x.json", "--shard", "1//4"], ["run", "x.json", "--shard", "+1/4"], ["run", "x.json", "--shard", "1/4/"],
                      ["run", "x.json", "--shard", "0/4"], ["run", "x.json", "--shard", "5/4"], ["run", "x.json", "--shard", " 1/4"]])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let result = try hessianStudy(arguments)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.err)")
        #expect(result.err.split(separator: "\n").count == 1, "\(result.err)")
    }

    @Test func outputThatIsAFileIsAUsageError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("ok.json"), file = folder.appendingPathComponent("file")
        try Data(#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(Self.validFixed)}}"#.utf8).write(to: config)
        try Data().write(to: file)
        let result = try hessianStudy(["run", config.path, "--out", file.path])
        #expect(result.status == 2)
        #expect(result.err.contains("--out"))
    }

    /// Two configs with one name (in different folders): a config error before anything runs.
    @Test func twoConfigsWithOneNameAreAConfigError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [String] = []
        for sub in ["a", "b"] {
            let config = folder.appendingPathComponent("\(sub)/same.json")
            try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(Self.validFixed)}}"#.utf8).write(to: config)
            files.append(config.path)
        }
        let out = folder.appendingPathComponent("out")
        let result = try hessianStudy(["run"] + files + ["--out", out.path])
        #expect(result.status == 2, "\(result.err)")
        #expect(result.err == "\(files[1]): name: \"same\" is also the name of \(files[0]); both would write same.csv\n")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func listShowsEveryStudyAndParameter() throws {
        let result = try hessianStudy(["list"])
        #expect(result.status == 0)
        for word in ["sqrt-law", "spectrum", "sigma", "alpha", "rotation", "samples"] { #expect(result.out.contains(word)) }
    }

    /// A hand-written config: an explicit spectrum, another σ and α = 0.5. Every `v` row lies
    /// within 4.5 MCSE of σ²h^(1.5) and the slope within 4.5 MCSE of 1.5 (t₃₉: false failure
    /// rate about 3e-4 over the six rows).
    @Test func handWrittenConfigReproducesT1() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("mine.json")
        try Data("""
            {"name": "mine", "study": "sqrt-law", "seed": 7, "replications": 40,
             "fixed": {"spectrum": [0.3, 1, 4, 20, 75], "sigma": 2.5, "alpha": 0.5, "samples": 3000}}
            """.utf8).write(to: config)
        let out = folder.appendingPathComponent("results")
        let result = try hessianStudy(["run", config.path, "--out", out.path, "--threads", "2"])
        #expect(result.status == 0, "\(result.err)")
        let rows = try readCSV(out.appendingPathComponent("mine.csv"))
        #expect(rows.count == 6)
        for row in rows {
            let estimate = Double(row["estimate"]!)!, mcse = Double(row["mcse"]!)!, theory = Double(row["theory"]!)!
            if row["quantity"] == "v" {
                let h = [0.3, 1, 4, 20, 75][Int(row["index"]!)!]
                #expect(abs(theory - 2.5 * 2.5 * pow(h, 1.5)) <= 1e-12 * theory)
            } else {
                #expect(row["quantity"] == "slope" && theory == 1.5)
            }
            #expect(abs(estimate - theory) < 4.5 * mcse, "\(row)")
        }
        for file in ["mine.md", "mine.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func replicateCommandPrintsOneReplication() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("one.json")
        try Data(#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {\#(Self.validFixed)}}"#.utf8).write(to: config)
        let result = try hessianStudy(["replicate", config.path, "--cell", "0", "--replication", "1"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.hasPrefix("cell,replication,quantity,index,value\n0,1,v,0,"))
        let bad = try hessianStudy(["replicate", config.path, "--cell", "3", "--replication", "0"])
        #expect(bad.status == 2)
    }
}

/// The progress line: on a terminal (here a pseudo-terminal from `script`) it shows the cell,
/// the replications done and an ETA; with stderr redirected, or with --quiet, nothing.
struct ProgressTests {
    @Test func progressOnlyOnATerminal() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("p.json")
        try Data(#"{"study": "ema", "seed": 1, "replications": 400, "fixed": {"steps": 2000}, "grid": {"beta2": [0.9, 0.99]}}"#.utf8).write(to: config)
        let out = folder.appendingPathComponent("out")
        let piped = try hessianStudy(["run", config.path, "--out", out.path])
        #expect(piped.status == 0 && !piped.err.contains("ETA"), "\(piped.err)")
        // Results written beside the config would overwrite it with its own manifest: refused.
        let clash = try hessianStudy(["run", config.path, "--out", folder.path])
        #expect(clash.status == 2 && clash.err.contains("would overwrite the config"), "\(clash.err)")
        guard FileManager.default.fileExists(atPath: "/usr/bin/script") else { return }
        let typescript = folder.appendingPathComponent("typescript")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qc", "'\(executable.path)' run '\(config.path)' --out '\(out.path)'", typescript.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let screen = try String(decoding: Data(contentsOf: typescript), as: UTF8.self)
        #expect(screen.contains("p: cell 1/2,") && screen.contains("replications,") && screen.contains("ETA"), "\(screen.prefix(600))")
    }
}

/// `check` on a valid config says how big the run is and where h_c falls, before anything runs.
struct CheckSummaryTests {
    @Test func checkPrintsTheSizeAndWhereTheCrossoverFalls() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("c.json")
        // h_c = 4L²σₙ²/(Bη²) = 16 for RMSProp (L = 2) with σₙ = 1, B = 1, η = 1: the spectrum [1, 2] lies below it.
        try Data(#"{"name": "c", "study": "dynamics", "seed": 1, "replications": 3, "fixed": {"optimizer": "rmsprop", "lr": 1, "noise_sigma": 1, "spectrum": [1, 2], "steps": 10}}"#.utf8).write(to: file)
        let result = try hessianStudy(["check", file.path])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n")
        #expect(lines.first?.hasPrefix("c: study dynamics, 1 cell × 3 replications = 3 replications in all; ") == true, "\(result.out)")
        #expect(lines.contains { $0.contains("h_c = 16.0 in a spectrum from 1.00 to 2.00: 2 of 2 coordinates below h_c/4, 0 above 4·h_c; warning: every coordinate is below h_c") }, "\(result.out)")
        // --name prints the name alone, as the Slurm scripts expect.
        #expect(try hessianStudy(["check", "--name", file.path]).out == "c\n")
    }
}
