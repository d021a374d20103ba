import Foundation
import MonteCarlo
import Studies
import Testing

/// Hostile input: nothing crashes, traps or hangs; every bad input is a clear error.
struct HostileInputTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let seeds: [[UInt8]] = try! FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("studies/quick").path)
        .sorted().map { Array(try Data(contentsOf: root.appendingPathComponent("studies/quick/\($0)"))) }

    /// Tokens that stress the checks: huge, tiny, negative, non-integral, non-finite, wrong types.
    static let tokens = ["1e308", "-1e308", "1e-320", "0", "-1", "0.5", "1.5", "NaN", "Infinity", "-0", "9007199254740993",
                         "1e15", "\"x\"", "null", "true", "[]", "{}", "[1e308]", "{\"min\": 1e-300, \"max\": 1e300, \"count\": 1e9}",
                         "[[[[[[[[[[1]]]]]]]]]]", "\"haar\"", "\"sgd\"", "2147483648", "-9007199254740992"]

    /// 6000 cases in-process: random bytes and mutated valid configs. Each parses and checks to a
    /// config or to a JSON syntax error or config error; anything else (or a crash) fails.
    @Test func mutatedConfigsGiveAConfigOrAClearError() throws {
        var random = Fuzzer(seed: 0x9e37_79b9_7f4a_7c15, tokens: Self.tokens)
        var accepted = 0, rejected = 0
        for n in 0..<6000 {
            let bytes: [UInt8] = n % 6 == 0
                ? random.noise(upTo: 300)
                : random.mutate(Self.seeds[n % Self.seeds.count])
            do {
                let json = try JSONValue.parse(bytes)
                _ = try Config(file: "fuzz.json", json: json, studies: allStudies)
                accepted += 1
            } catch is JSONSyntaxError {
                rejected += 1
            } catch let error as ConfigError {
                #expect(!error.description.contains("\n"), "one line: \(error)")
                rejected += 1
            }
        }
        #expect(accepted > 100 && rejected > 1000, "accepted \(accepted), rejected \(rejected)")
    }

    /// 150 of the same cases through the command (`check`): each exits 0 or 2 within seconds.
    @Test func theCommandExitsZeroOrTwoOnHostileConfigs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = Fuzzer(seed: 0x2545_f491_4f6c_dd1d, tokens: Self.tokens)
        for n in 0..<150 {
            let bytes: [UInt8] = n % 5 == 0
                ? random.noise(upTo: 200)
                : random.mutate(Self.seeds[n % Self.seeds.count])
            let file = folder.appendingPathComponent("case-\(n).json")
            try Data(bytes).write(to: file)
            let result = try hessianStudy(["check", file.path])
            #expect(result.status == 0 || result.status == 2, "case \(n): status \(result.status): \(result.err)")
            if result.status == 2 { #expect(result.err.split(separator: "\n").count == 1, "case \(n): \(result.err)") }
        }
    }

    /// The named hostile inputs of the issue, through `run`, each a clear one-line error.
    @Test func namedHostileInputsGiveClearErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ text: String, name: String = "x.json") throws -> (status: Int32, err: String) {
            let file = folder.appendingPathComponent(name)
            try Data(text.utf8).write(to: file)
            let result = try hessianStudy(["run", file.path, "--out", folder.appendingPathComponent("out").path, "--quiet"])
            return (result.status, result.err)
        }
        let cases: [(String, String)] = [
            (#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1, 1e200], "sigma": 1e100, "samples": 10}}"#, "overflows"),
            (#"{"study": "sqrt-law", "seed": 1e308, "replications": 2, "fixed": {"spectrum": [1], "sigma": 1, "samples": 10}}"#, "seed:"),
            (#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": NaN, "samples": 10}}"#, "NaN"),
            (#"{"study": "sqrt-law", "seed": 1, "replications": 2, "fixed": {"spectrum": [1], "sigma": Infinity, "samples": 10}}"#, "Infinity"),
            (String(repeating: "[", count: 100_000), "nesting"),
        ]
        for (text, expected) in cases {
            let result = try run(text)
            #expect(result.status == 2, "\(expected): \(result.status) \(result.err)")
            #expect(result.err.contains(expected) && result.err.split(separator: "\n").count == 1, "\(result.err)")
        }
        // A 100 MB config is refused before it is read.
        let big = folder.appendingPathComponent("big.json")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        let result = try hessianStudy(["run", big.path, "--out", folder.path])
        #expect(result.status == 2 && result.err.contains("larger than"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path + "/x.csv"))
    }

    /// Overflow inside a run (g² finite, its spread not) is a failure with a message, never an
    /// infinity written to a CSV.
    @Test func overflowInARunIsReportedNotWritten() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("extreme.json")
        try Data(#"{"study": "sqrt-law", "seed": 1, "replications": 3, "fixed": {"spectrum": [1, 1e150], "sigma": 1, "samples": 10}}"#.utf8).write(to: config)
        let result = try hessianStudy(["run", config.path, "--out", folder.appendingPathComponent("out").path, "--quiet"])
        #expect(result.status == 1 && result.err.contains("non-finite"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/extreme.csv").path))
    }

    /// A read-only folder is a usage error; a full disk a failure that leaves no result file.
    /// Both need tmpfs mounts (root); without them the test says so and checks nothing else.
    @Test func readOnlyFolderAndFullDisk() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let readOnly = folder.appendingPathComponent("ro"), full = folder.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        func mount(_ options: String, _ at: URL) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/mount")
            process.arguments = ["-t", "tmpfs", "-o", options, "tmpfs", at.path]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        func unmount(_ at: URL) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/umount")
            process.arguments = [at.path]
            try? process.run()
            process.waitUntilExit()
        }
        guard mount("ro,size=1m", readOnly), mount("size=16k", full) else {
            unmount(readOnly)
            print("readOnlyFolderAndFullDisk: tmpfs cannot be mounted here (needs root); not checked")
            return
        }
        defer { unmount(readOnly); unmount(full) }
        let config = Self.root.appendingPathComponent("studies/quick/dynamics.json").path
        let ro = try hessianStudy(["run", config, "--out", readOnly.path, "--quiet"])
        #expect(ro.status == 2 && ro.err.contains("not writable"), "\(ro.err)")
        let disk = try hessianStudy(["run", config, "--out", full.path, "--quiet"])
        #expect(disk.status == 1 && disk.err.contains("cannot write"), "\(disk.err)")
        #expect(disk.err.split(separator: "\n").count == 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: full.path).filter { !$0.hasPrefix(".checkpoints") }
        #expect(left.isEmpty, "no result or temporary file on the full disk: \(left)")
    }
}
