import Foundation
@testable import MonteCarlo
@testable import Reporting
import StrictJSON
import Studies
import TestSupport
import Testing

/// Issue 23, classes 2, 3, 6, 8, 9 and 10: cost in proportion to the input, numbers that are
/// what they say, paths kept as bytes or refused, one writer per part, a diverging network, and
/// a version that names the build.
extension HostileInputTests {
    static let sqrtLaw = #"{"name": "s", "study": "sqrt-law", "seed": 1, "replications": 3, "fixed": {"spectrum": [1, 2], "sigma": 0.5, "samples": 20}}"#

    /// `hessian-study check` on a config text; status and stderr.
    func check(_ text: String, in folder: URL, name: String = "c.json") throws -> (status: Int32, err: String) {
        let file = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        let result = try hessianStudy(["check", file.path])
        return (result.status, result.err)
    }

    // MARK: 2. cost in proportion to the input

    /// A result CSV whose header has 6.4 million columns is refused at its 257th, at once; a
    /// network grid of 4096 cells reads and hashes its data file once, not once per cell.
    @Test func costIsInProportionToTheInput() throws {
        var header = Array("cell,quantity,index,estimate,mcse,theory".utf8)
        header.reserveCapacity(64 << 20)
        for k in 0..<6_400_000 { header += Array(",g\(k)".utf8) }
        header.append(0x0a)
        let start = Date()
        let error = #expect(throws: ConfigError.self) { try StudyResults.parseRows(header, file: "wide.csv", config: nil) }
        #expect(error?.key == "line 1" && error?.message.contains("more than 256 fields") == true, "\(String(describing: error))")
        #expect(Date().timeIntervalSince(start) < 5, "\(Date().timeIntervalSince(start)) s for a 60 MB header")

        let lrs = (0..<64).map { "\(Double($0 + 1) * 1e-4)" }.joined(separator: ", ")
        let betas = (0..<64).map { "\(0.9 + Double($0) * 1e-3)" }.joined(separator: ", ")
        let text = #"{"name": "g", "study": "network", "seed": 1, "replications": 2, "fixed": {"data": "diabetes", "model": "linear", "steps": 10, "batch": 8}, "grid": {"lr": [\#(lrs)], "beta2": [\#(betas)]}}"#
        let before = DataSet.reads(of: .diabetes)
        let config = try Config(file: "g.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        #expect(config.cells.count == 4096)
        #expect(DataSet.reads(of: .diabetes) - before <= 1, "\(DataSet.reads(of: .diabetes) - before) reads of the data file for 4096 cells")
    }

    // MARK: 3. numbers that are what they say

    /// A literal that rounding would change is refused, naming its line and column: an integer
    /// written with a fraction that no double holds (the seed 2⁵³ + 1), digits beyond a double's
    /// precision that would round to an integer, a number that underflows to 0 or to a subnormal.
    /// Exact forms of integers (`0.2e3`, `1e3`, `5.000`) are taken, and the manifest records them
    /// as the integers they are.
    @Test func numbersAreExactOrRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String, String)] = [
            ("\"seed\": 1", "\"seed\": 9007199254740993.0", "is not exactly 9007199254740992"),
            ("\"replications\": 3", "\"replications\": 7.0000000000000001", "is not exactly 7"),
            ("\"sigma\": 0.5", "\"sigma\": 1e-400", "underflows to 0"),
            ("\"samples\": 20", "\"samples\": 2.00000000000000000001e1", "is not exactly 20"),
            ("\"sigma\": 0.5", "\"sigma\": 1e-320", "smallest normal double"),
            ("\"seed\": 1", "\"seed\": 4.0000000000000000000000000000000000000000001", "is not exactly 4"),
        ]
        for (old, new, expected) in cases {
            let text = Self.sqrtLaw.replacingOccurrences(of: old, with: new)
            #expect(text != Self.sqrtLaw)
            let result = try check(text, in: folder)
            #expect(result.status == 2 && result.err.contains(expected) && result.err.contains("line 1, column"), "\(new): \(result.err)")
        }
        let exact = Self.sqrtLaw.replacingOccurrences(of: "\"samples\": 20", with: "\"samples\": 0.2e2")
            .replacingOccurrences(of: "\"seed\": 1", with: "\"seed\": 1e3").replacingOccurrences(of: "\"replications\": 3", with: "\"replications\": 3.000")
        let config = folder.appendingPathComponent("exact.json")
        try Data(exact.utf8).write(to: config)
        let out = folder.appendingPathComponent("out")
        let result = try hessianStudy(["run", config.path, "--out", out.path, "--quiet"])
        #expect(result.status == 0, "\(result.err)")
        let manifest = try String(contentsOf: out.appendingPathComponent("s.json"), encoding: .utf8)
        #expect(manifest.contains(#""seed":1000,"#) && manifest.contains(#""samples":20}"#) && manifest.contains(#""replications":3,"#), "\(manifest)")
    }

    // MARK: 6. paths: UTF-8 or a refusal

    /// Runs the command through `/bin/sh` so that an argument can hold bytes that are not UTF-8
    /// (`\377`, written for printf).
    func runRaw(_ arguments: String, in folder: URL) throws -> (status: Int32, err: String) {
        let process = Process(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \(arguments)", executable.path]
        process.currentDirectoryURL = folder
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message)
    }

    /// `--out` or a config path holding a byte that is not UTF-8 is refused (exit 2, one line),
    /// and nothing is created (not the folder with U+FFFD in its name); a file with such a name
    /// inside a results folder is not one `report` reads, and does not stop it.
    @Test func pathsThatAreNotUTF8AreRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.sqrtLaw.utf8).write(to: folder.appendingPathComponent("c.json"))
        for arguments in [#"run c.json --out "$(printf 'out\377')""#, #"check "$(printf 'c\377.json')""#,
                          #"run c.json --quiet --out "$(printf 'a\200b')""#] {
            let result = try runRaw(arguments, in: folder)
            #expect(result.status == 2 && result.err.contains("is not UTF-8") && result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["c.json"], "\(arguments)")
        }
        let out = folder.appendingPathComponent("out")
        #expect(try hessianStudy(["run", folder.appendingPathComponent("c.json").path, "--out", out.path, "--quiet"]).status == 0)
        let raw: [CChar] = Array(out.path.utf8).map { CChar(bitPattern: $0) } + [CChar(bitPattern: 0x2f), CChar(bitPattern: 0xff), 0x2e, 0x63, 0x73, 0x76, 0]
        let fd = open(raw, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        close(fd)
        let result = try hessianStudy(["report", out.path])
        #expect(result.status == 0, "\(result.err)")
    }

    // MARK: 8. one writer per part

    /// The same shard run twice at once (a re-queued Slurm task): one writes the part, the other
    /// is refused at once naming the holder, never left to delete the first's temporary; the
    /// part merges into the unbroken run's bytes. A symlink planted at the lock's name is refused
    /// (its target untouched); a lock file left by a killed shard does not block the next.
    @Test func theSameShardTwiceIsRefusedNotRaced() throws {
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("cells.json")
        try Data(HostileFolderTests.cellsConfig.utf8).write(to: config)
        let reference = scratch.appendingPathComponent("reference")
        #expect(try hessianStudy(["run", config.path, "--out", reference.path, "--quiet"]).status == 0)
        for trial in 0..<3 {
            let out = scratch.appendingPathComponent("out\(trial)")
            let outcomes = try hessianStudyTwiceAtOnce(["run", config.path, "--out", out.path, "--quiet", "--shard", "1/2"])
            let statuses = outcomes.map(\.status).sorted()
            #expect(statuses == [0, 2] || statuses == [0, 0], "trial \(trial): \(outcomes)")
            for (status, message, _) in outcomes where status == 2 {
                #expect(message.contains("shard 1/2 of cells is being written by another hessian-study command"), "\(message)")
            }
            #expect(try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--shard", "2/2"]).status == 0)
            let merged = try hessianStudy(["merge", out.appendingPathComponent("cells.part-1-of-2.json").path,
                                           out.appendingPathComponent("cells.part-2-of-2.json").path, "--out", out.path])
            #expect(merged.status == 0, "\(merged.err)")
            #expect(try Data(contentsOf: out.appendingPathComponent("cells.csv")) == Data(contentsOf: reference.appendingPathComponent("cells.csv")))
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: out.path)).contains { $0.hasSuffix(".lock") || $0.hasSuffix(".tmp") })
        }
        // A planted symlink at the lock's name, and a stale lock file.
        let out = scratch.appendingPathComponent("planted")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        let victim = scratch.appendingPathComponent("victim.txt")
        try Data("precious".utf8).write(to: victim)
        let lock = out.appendingPathComponent(".cells.part-1-of-2.json.lock")
        try FileManager.default.createSymbolicLink(at: lock, withDestinationURL: victim)
        let refused = try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--shard", "1/2"])
        #expect(refused.status == 2 && refused.err.contains("symbolic link"), "\(refused.err)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious")
        try FileManager.default.removeItem(at: lock)
        try Data().write(to: lock)
        let stale = try hessianStudy(["run", config.path, "--out", out.path, "--quiet", "--shard", "1/2"])
        #expect(stale.status == 0, "\(stale.err)")
        #expect(!FileManager.default.fileExists(atPath: lock.path))
    }

    // MARK: 9. a diverging network

    /// A learning rate far too large: the run stops with a message naming the config's key, the
    /// step and the loss (not an eigensolver's error code), and writes nothing. Moderately too
    /// large (the loss rises until the units saturate, v̂ = 0 almost everywhere): the fit's
    /// failure is said to be divergence, with the losses.
    @Test func aDivergingNetworkSaysSo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases = [
            (#"{"name": "d", "study": "network", "seed": 1, "replications": 2, "fixed": {"data": "diabetes", "model": "mlp", "hidden": 8, "batch": 32, "steps": 100, "beta2": 0.99}, "grid": {"lr": [0.001, 1e6]}}"#,
             ["grid.lr[1]: cell 1, replication 0: training diverged at step 2 of 100: the minibatch loss is", "choose a smaller lr"]),
            (#"{"name": "d", "study": "network", "seed": 1, "replications": 2, "fixed": {"data": "digits", "model": "mlp", "hidden": 4, "batch": 32, "steps": 200, "beta2": 0.99, "lr": 1e4}}"#,
             ["fixed.lr: cell 0, replication", "training diverged: the loss rose from", "choose a smaller lr"]),
        ]
        for (text, expected) in cases {
            let config = folder.appendingPathComponent("d.json")
            try Data(text.utf8).write(to: config)
            let result = try hessianStudy(["run", config.path, "--out", folder.appendingPathComponent("out").path, "--quiet"])
            #expect(result.status == 1, "\(result.err)")
            for part in expected { #expect(result.err.contains(part), "\(part): \(result.err)") }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/d.csv").path))
        }
    }

    // MARK: 10. a version that names the build

    /// The build ID in an ELF file, read from its program headers (PT_NOTE segments), without
    /// the dynamic loader: an independent reading of what ``BuildIdentity`` finds in memory.
    static func buildID(ofFile path: String) throws -> String? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func word<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> Int {
            Int(bytes[at..<at + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) })
        }
        guard bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46, 2, 1]) else { return nil }  // ELF64, little-endian
        let (phoff, phentsize, phnum) = (word(0x20, UInt64.self), word(0x36, UInt16.self), word(0x38, UInt16.self))
        for k in 0..<phnum {
            let header = phoff + k * phentsize
            guard word(header, UInt32.self) == 4 else { continue }  // PT_NOTE
            var offset = word(header + 8, UInt64.self)
            let end = offset + word(header + 32, UInt64.self)
            while offset + 12 <= end {
                let (nameSize, descriptorSize, type) = (word(offset, UInt32.self), word(offset + 4, UInt32.self), word(offset + 8, UInt32.self))
                let descriptor = offset + 12 + (nameSize + 3) / 4 * 4
                if type == 3 && Array(bytes[offset + 12..<offset + 16]) == Array("GNU\0".utf8) {
                    return bytes[descriptor..<descriptor + descriptorSize].map { String(format: "%02x", $0) }.joined()
                }
                offset = descriptor + (descriptorSize + 3) / 4 * 4
            }
        }
        return nil
    }

    /// The version is the release and the build ID, which matches the one in the executable's
    /// file; `merge` refuses a part another build made, and `--resume` a checkpoint of another
    /// build, each naming the file.
    @Test func theVersionNamesTheBuildAndIsChecked() throws {
        let id = try #require(try Self.buildID(ofFile: executable.path))
        let version = try hessianStudy(["--version"])
        #expect(version.out.trimmingCharacters(in: .whitespacesAndNewlines) == "\(BuildIdentity.release)+build.\(id)", "\(version.out)")
        #expect(BuildIdentity.buildID == (try Self.buildID(ofFile: "/proc/self/exe")), "the test bundle's own build ID")

        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("cells.json")
        try Data(HostileFolderTests.cellsConfig.utf8).write(to: file)
        let config = try Config.load(path: file.path, studies: allStudies)
        let out = scratch.appendingPathComponent("out")
        let other = "\(BuildIdentity.release)+build.0000000000000000000000000000000000000000"
        do {
            let session = RunSession(folder: try OutputFolder.open(out.path, access: .shared), packageVersion: other, gitCommit: nil, commandLine: [], studies: allStudies)
            _ = try session.runShard(config, 1, of: 2, threads: 1)
        }
        #expect(try hessianStudy(["run", file.path, "--out", out.path, "--quiet", "--shard", "2/2"]).status == 0)
        let merged = try hessianStudy(["merge", out.appendingPathComponent("cells.part-1-of-2.json").path,
                                       out.appendingPathComponent("cells.part-2-of-2.json").path, "--out", out.path])
        #expect(merged.status == 2 && merged.err.contains("cells.part-1-of-2.json") && merged.err.contains("made by version \(other), this is \(BuildIdentity.release)+build.\(id)"), "\(merged.err)")

        // Checkpoints of every cell, saved by the other build, then `--resume` here.
        do {
            let runner = Runner(config: config, threads: 1)
            let statistics = try runner.prepare()
            let checkpoints = Checkpoints(output: try OutputFolder.open(out.path), name: config.name, packageVersion: other)
            _ = try runner.compute(into: statistics, completed: { try checkpoints.save(cell: $0, of: statistics) })
        }
        let resumed = try hessianStudy(["run", file.path, "--out", out.path, "--quiet", "--resume"])
        #expect(resumed.status == 2 && resumed.err.contains(".checkpoints/cells/cell-") && resumed.err.contains("another config, seed or version"), "\(resumed.err)")
    }
}
