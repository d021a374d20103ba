import Foundation
import MonteCarlo
import Report
import Reporting
import Studies
import TestSupport
import Testing

/// Issue 10: opening someone else's results folder never runs anything, never traps or hangs;
/// every bad input is exit 2 with one line naming the file, and nothing is written.
@Suite(.serialized)
struct HostileReportTests {
    /// Replaces `old` by `new` in every line of `file` that starts with `prefix`.
    func edit(_ file: URL, lines prefix: String = "", _ old: String, _ new: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let edited = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(prefix) ? line.replacingOccurrences(of: old, with: new) : String(line)
        }.joined(separator: "\n")
        #expect(edited != text, "the edit changes \(file.lastPathComponent)")
        try Data(edited.utf8).write(to: file)
    }

    /// Checks the outcome of a report on a hostile folder: success (then `check` the folder) or
    /// exit 2 with one line, quickly, and the marker file was not created.
    func expectSafe(_ folder: URL, marker: URL, in directory: URL? = nil, _ label: String,
                    check: (URL) throws -> Void = { _ in }) throws {
        let result = try hessianStudy(["report", folder.path], in: directory, timeout: 30)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "\(label): gnuplot ran a command")
        #expect(result.status == 0 || result.status == 2, "\(label): status \(result.status): \(result.err)")
        #expect(result.seconds < 20, "\(label): took \(result.seconds) s")
        if result.status == 2 {
            #expect(result.err.split(separator: "\n").count == 1, "\(label): \(result.err)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("REPORT.md").path), "\(label)")
        } else if result.status == 0 {
            try check(folder)
        }
    }

    /// A marker path that exists only if injected code ran.
    func marker() -> URL { URL(fileURLWithPath: "/tmp/hessian-marker-\(UUID().uuidString)") }

    /// gnuplot's system() in a grid value of a result CSV (with the manifest, and without it),
    /// and a newline that would start a new gnuplot command: nothing runs.
    @Test func gnuplotCommandsInGridValuesNeverRun() throws {
        let touch = marker()
        let payload = "0.5'.system('touch \(touch.path)').'"
        for keepManifest in [true, false] {
            let folder = try quickResults(only: ["sqrt-law"])
            defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
            if !keepManifest { try FileManager.default.removeItem(at: folder.appendingPathComponent("sqrt-law.json")) }
            try edit(folder.appendingPathComponent("sqrt-law.csv"), lines: "1,none,0.5,", ",0.5,", ",\(payload),")
            try expectSafe(folder, marker: touch, "system() in alpha, manifest \(keepManifest)") { folder in
                let figures = folder.appendingPathComponent("figures")
                for file in (try? FileManager.default.contentsOfDirectory(atPath: figures.path)) ?? [] {
                    let svg = try String(contentsOf: figures.appendingPathComponent(file), encoding: .utf8)
                    #expect(!svg.contains("system"), "\(file)")
                }
            }
        }
        let folder = try quickResults(only: ["sqrt-law"])
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try edit(folder.appendingPathComponent("sqrt-law.csv"), lines: "1,none,0.5,", ",0.5,",
                 ",\"0.5'\nset output '\(touch.path)'\nplot 1\n#\",")
        try expectSafe(folder, marker: touch, "newline in alpha")
    }

    /// In-process, with the config as run (so the figures are drawn): hostile grid values reach
    /// gnuplot only through the safe title text, and gnuplot runs nothing.
    @Test func figureScriptsHoldNoDataText() throws {
        let touch = marker()
        let source = packageRoot.appendingPathComponent("results/quick")
        let hostile = ["0.5'.system('touch \(touch.path)').'", "1\nsystem(\"touch \(touch.path)\")", "`touch \(touch.path)`",
                       "@x;system(\"touch\")\\", "a^{b}_c&d~e"]
        var results = try StudyResults.load("sqrt-law", from: source, studies: allStudies)
        let alphas = results.values(of: "alpha")
        results.rows = results.rows.map { row in
            var row = row
            if let a = row.grid["alpha"], let k = alphas.firstIndex(of: a), k > 0 { row.grid["alpha"] = hostile[k % hostile.count] }
            return row
        }
        var dynamics = try StudyResults.load("dynamics", from: source, studies: allStudies)
        dynamics.rows = dynamics.rows.map { row in
            var row = row
            row.grid["beta2"] = hostile[(row.grid["beta2"]?.count ?? 0) % hostile.count]
            return row
        }
        let figures = Figures.all(StudyReport(studies: ["sqrt-law": results, "dynamics": dynamics]))
        #expect(figures.map(\.name).contains("sqrt-law") && figures.count == 3)
        for figure in figures {
            for bad in ["system(", "touch /", "`", "@", "^{b}", "&d", "x;"] {
                #expect(!figure.script.contains(bad), "\(figure.name) holds \(bad)")
            }
            for (name, text) in figure.data {
                #expect(text.unicodeScalars.allSatisfy { "0123456789.-+e nainf\n".unicodeScalars.contains($0) }, "\(name) holds only numbers")
            }
        }
        let drawn = try Figures.draw(figures)
        #expect(drawn.count == figures.count)
        #expect(!FileManager.default.fileExists(atPath: touch.path))
    }

    /// Folders whose paths hold quotes (and a gnuplot system() call) work end to end: the path
    /// never enters a script.
    @Test func foldersWithQuotesInTheirNamesWork() throws {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let reference = try String(contentsOf: packageRoot.appendingPathComponent("results/quick/REPORT.md"), encoding: .utf8)
        for name in ["it's results", "q'\"'.system('touch marker').'\"x"] {
            let folder = try quickResults(named: name)
            defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
            let result = try hessianStudy(["report", folder.path], in: work, timeout: 60)
            #expect(result.status == 0, "\(name): \(result.err)")
            #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("marker").path), "\(name): gnuplot ran a command")
            let report = try String(contentsOf: folder.appendingPathComponent("REPORT.md"), encoding: .utf8)
            #expect(report == reference, "\(name): the same report as results/quick")
            let figures = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("figures").path)
            #expect(figures.filter { $0.hasSuffix(".svg") }.count == 17 && figures.allSatisfy { $0.hasSuffix(".svg") }, "\(name): \(figures)")
        }
    }

    /// Without a manifest nothing checks grid values against a config, so such a file decides no
    /// claim (its study is unknown) and none of its text reaches REPORT.md but its (safe) name;
    /// the escaping that any text from a file goes through is checked on the same string.
    @Test func markupInGridValuesIsEscapedInTheReport() throws {
        let folder = try quickResults(only: ["dynamics"])
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("dynamics.json"))
        try edit(folder.appendingPathComponent("dynamics.csv"), ",0.9999,", ",\"<img src=x onerror=alert(1)> [link](javascript:x) *em* `code` |\n# Heading\",")
        let result = try hessianStudy(["report", folder.path], timeout: 60)
        #expect(result.status == 0, "\(result.err)")
        let report = try String(contentsOf: folder.appendingPathComponent("REPORT.md"), encoding: .utf8)
        #expect(report.contains("[dynamics](dynamics.md): no manifest, study unknown"), "\(report)")
        #expect(MarkdownText.escape("<img src=x onerror=alert(1)> [link](javascript:x) *em* `code` |\n# Heading")
                == "&lt;img src=x onerror=alert(1)&gt; \\[link\\](javascript:x) \\*em\\* \\`code\\` \\|\u{FFFD}\\# Heading")
        for raw in ["<img", "[link]", "*em*", "`code`", "\n# Heading"] { #expect(!report.contains(raw), "\(raw)") }
    }

    /// The named bad inputs of the issue: each exit 2 with one line naming the file, quickly,
    /// and no REPORT.md or figure written.
    @Test func badInputsExitTwoNamingTheFile() throws {
        typealias Setup = (URL) throws -> Void
        let csv = { (folder: URL) in folder.appendingPathComponent("sqrt-law.csv") }
        let cases: [(String, String, Setup)] = [
            ("duplicated column", "sqrt-law.csv: line 1", { try self.edit(csv($0), lines: "cell,", "rotation,alpha", "alpha,alpha") }),
            ("index -1", "sqrt-law.csv: line 2", { try self.edit(csv($0), lines: "0,none,0,v,0,", ",v,0,", ",v,-1,") }),
            ("index beyond an Int", "sqrt-law.csv: line 2", { try self.edit(csv($0), lines: "0,none,0,v,0,", ",v,0,", ",v,99999999999999999999,") }),
            ("wrong field count", "sqrt-law.csv: line 3", { try self.edit(csv($0), lines: "0,none,0,v,1,", ",v,1,", ",v,1,7,") }),
            ("NaN estimate", "sqrt-law.csv: line 2", { try self.edit(csv($0), lines: "0,none,0,v,0,", "2.558949323186505e-05", "NaN") }),
            ("infinite theory", "sqrt-law.csv: line 2", { try self.edit(csv($0), lines: "0,none,0,v,0,", ",2.5e-05", ",1e999") }),
            ("cell beyond the grid", "sqrt-law.csv: line 2", { try self.edit(csv($0), lines: "0,none,0,v,0,", "0,none", "99,none") }),
            ("no estimate column", "sqrt-law.csv: line 1", { try self.edit(csv($0), lines: "cell,", "estimate", "estimated") }),
            ("non-UTF-8 bytes", "sqrt-law.csv: line 2", { folder in
                var bytes = Array(try Data(contentsOf: csv(folder)))
                bytes.insert(contentsOf: [0xff, 0xfe], at: bytes.firstIndex(of: 0x0a)! + 3)
                try Data(bytes).write(to: csv(folder))
            }),
            ("manifest not JSON", "sqrt-law.json", { try Data("{\"config\": ".utf8).write(to: $0.appendingPathComponent("sqrt-law.json")) }),
            ("manifest an array", "sqrt-law.json", { try Data("[1]".utf8).write(to: $0.appendingPathComponent("sqrt-law.json")) }),
            ("manifest config invalid", "sqrt-law.json: config.fixed.sigma", {
                try self.edit($0.appendingPathComponent("sqrt-law.json"), "\"sigma\":0.5", "\"sigma\":-1")
            }),
            ("a FIFO named x.csv", "x.csv", { folder in #expect(mkfifo(folder.appendingPathComponent("x.csv").path, 0o600) == 0) }),
            ("a symlinked x.csv", "x.csv", { folder in
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("x.csv"), withDestinationURL: csv(folder))
            }),
            ("a folder named x.csv", "x.csv", { try FileManager.default.createDirectory(at: $0.appendingPathComponent("x.csv"), withIntermediateDirectories: false) }),
            ("a symlinked manifest", "sqrt-law.json", { folder in
                let json = folder.appendingPathComponent("sqrt-law.json")
                try FileManager.default.moveItem(at: json, to: folder.appendingPathComponent("elsewhere"))
                try FileManager.default.createSymbolicLink(at: json, withDestinationURL: folder.appendingPathComponent("elsewhere"))
            }),
            ("a row twice", "sqrt-law.csv: line 3", { try self.edit(csv($0), lines: "0,none,0,v,1,", ",v,1,", ",v,0,") }),
            ("figures a symlink", "figures", { folder in
                try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("figures"), withDestinationURL: URL(fileURLWithPath: "/tmp"))
            }),
            ("an 11 GB sparse CSV", "x.csv", { folder in
                let big = folder.appendingPathComponent("x.csv")
                #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
                let handle = try FileHandle(forWritingTo: big)
                try handle.truncate(atOffset: 11 << 30)
                try handle.close()
            }),
        ]
        for (label, expected, setup) in cases {
            let folder = try quickResults(only: ["sqrt-law"])
            defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
            try setup(folder)
            let result = try hessianStudy(["report", folder.path], timeout: 30)
            #expect(result.status == 2, "\(label): status \(result.status): \(result.err)")
            #expect(result.err.split(separator: "\n").count == 1 && result.err.contains(expected), "\(label): \(result.err)")
            #expect(result.seconds < 10, "\(label): \(result.seconds) s")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(!left.contains("REPORT.md") && (!left.contains("figures") || label == "figures a symlink"), "\(label): \(left)")
        }
    }

    /// steps = 2⁵³ in the ema manifest (a valid config): T4's closed form is O(steps), so the
    /// figure caps the work; the report is quick and the figure says t = 2⁵³.
    @Test func hugeStepsInAManifestDoNotHang() throws {
        let folder = try quickResults(only: ["ema"])
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try edit(folder.appendingPathComponent("ema.json"), "\"steps\":500", "\"steps\":9007199254740992")
        let result = try hessianStudy(["report", folder.path], timeout: 60)
        #expect(result.status == 0 || result.status == 2, "\(result.status): \(result.err)")
        #expect(result.seconds < 20, "\(result.seconds) s")
        if result.status == 0 {
            let svg = try String(contentsOf: folder.appendingPathComponent("figures/ema.svg"), encoding: .utf8)
            #expect(svg.contains("t = 9007199254740992 steps"))
        }
    }

    // MARK: Fuzzing

    /// The committed quick results, by stem: (CSV bytes, manifest bytes).
    static let seeds: [(name: String, csv: [UInt8], json: [UInt8])] = {
        let folder = packageRoot.appendingPathComponent("results/quick")
        return ["adabelief", "dynamics", "dynamics-edge", "ema", "gauss-newton", "gauss-newton-beyond", "sqrt-law"].map { name in
            (name, Array(try! Data(contentsOf: folder.appendingPathComponent("\(name).csv"))),
             Array(try! Data(contentsOf: folder.appendingPathComponent("\(name).json"))))
        }
    }()

    /// `manifest` with the SHA-256 of `old` (its CSV's) replaced by that of `new`.
    static func resealed(_ manifest: [UInt8], from old: [UInt8], to new: [UInt8]) -> [UInt8] {
        Array(String(decoding: manifest, as: UTF8.self).replacingOccurrences(of: ResultSet.sha256(old), with: ResultSet.sha256(new)).utf8)
    }

    /// Tokens that stress the checks, in a CSV field or a JSON literal.
    static let tokens = ["-1", "NaN", "nan", "inf", "-inf", "1e308", "1e999", "-0", "", "0x10", "+1", " 1", "99999999999999999999",
                         "9007199254740992", "1e15", "2147483648", "\"a,b\"", "\"\"", "\"", "0.5'.system('x').'", "a\nb", "\r\n",
                         "\u{0301}", ",", "null", "[]", "{}", "true", "\"x\"", "[1e308]", "{\"min\": 1e-300, \"max\": 1e300, \"count\": 1e9}",
                         "<b>", "`x`", "\u{FF}", "\"ema\"", "\"dynamics\"", "\"sqrt-law\"", "\"gauss-newton\"", "\"adabelief\""]

    /// 600 cases in-process: a study's CSV or manifest (or both) mutated, loaded, turned into
    /// REPORT.md and figure scripts. Each is a report or a one-line ConfigError, within seconds.
    @Test func mutatedResultsGiveAReportOrAClearError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = Fuzzer(seed: 0x9e37_79b9_7f4a_7c15, tokens: Self.tokens)
        var accepted = 0, rejected = 0
        for n in 0..<600 {
            let seed = Self.seeds[n % Self.seeds.count]
            let which = random.below(3)
            let csv = which == 1 ? seed.csv : random.mutate(seed.csv)
            // The manifest's digest of the CSV renewed when only the CSV changed, so that the
            // mutation reaches the parser and the rules (as the merge fuzz renews a part's seal);
            // without it every such case stops at the digest (ResultSet).
            let json = which == 0 ? Self.resealed(seed.json, from: seed.csv, to: csv) : random.mutate(seed.json)
            let study = folder.appendingPathComponent("case-\(n)")
            try FileManager.default.createDirectory(at: study, withIntermediateDirectories: false)
            try Data(csv).write(to: study.appendingPathComponent("\(seed.name).csv"))
            try Data(json).write(to: study.appendingPathComponent("\(seed.name).json"))
            let start = Date()
            do {
                let report = try StudyReport.load(from: study)
                _ = report.markdown(figures: [])
                let figures = Figures.all(report)
                for figure in figures { #expect(!figure.script.contains("system("), "case \(n): \(figure.name)") }
                accepted += 1
            } catch {
                #expect(!error.description.contains("\n"), "case \(n): one line: \(error)")
                #expect(error.file.hasPrefix(study.path), "case \(n): names the file: \(error)")
                rejected += 1
            }
            #expect(Date().timeIntervalSince(start) < 5, "case \(n) took \(Date().timeIntervalSince(start)) s")
            try? FileManager.default.removeItem(at: study)
        }
        #expect(accepted > 30 && rejected > 200, "accepted \(accepted), rejected \(rejected)")
    }

    /// 30 of the same kind of cases through the command: each exits 0 or 2 (one line) within
    /// seconds, and a refused case writes nothing.
    @Test func theCommandExitsZeroOrTwoOnHostileResults() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = Fuzzer(seed: 0x2545_f491_4f6c_dd1d, tokens: Self.tokens)
        for n in 0..<30 {
            let seed = Self.seeds[n % Self.seeds.count]
            let study = folder.appendingPathComponent("case-\(n)")
            try FileManager.default.createDirectory(at: study, withIntermediateDirectories: false)
            try Data(n % 3 == 1 ? seed.csv : random.mutate(seed.csv)).write(to: study.appendingPathComponent("\(seed.name).csv"))
            try Data(n % 3 == 0 ? seed.json : random.mutate(seed.json)).write(to: study.appendingPathComponent("\(seed.name).json"))
            let result = try hessianStudy(["report", study.path], timeout: 30)
            #expect(result.status == 0 || result.status == 2, "case \(n): status \(result.status): \(result.err)")
            #expect(result.seconds < 20, "case \(n): \(result.seconds) s")
            if result.status == 2 {
                #expect(result.err.split(separator: "\n").count == 1, "case \(n): \(result.err)")
                #expect(!FileManager.default.fileExists(atPath: study.appendingPathComponent("REPORT.md").path), "case \(n)")
            }
        }
    }
}
