import Foundation
@testable import MonteCarlo
import Testing

/// The output-folder protocol in-process: sets replaced together or not at all, temporaries
/// never left, names never followed.
@Suite(.serialized) struct OutputFolderTests {
    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("output-folder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// When the third rename of a set fails, the first two files are put back as they were and
    /// no temporary or backup remains.
    @Test func aSetIsReplacedWholeOrNotAtAll() throws {
        let path = try scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = try OutputFolder.open(path)
        try folder.write([("a.csv", Data("old a".utf8)), ("a.md", Data("old md".utf8)), ("a.json", Data("old json".utf8))])
        OutputFolder.failingRename = "a.json"
        defer { OutputFolder.failingRename = nil }
        #expect(throws: RunError.self) {
            try folder.write([("a.csv", Data("new a".utf8)), ("a.md", Data("new md".utf8)), ("a.json", Data("new json".utf8))])
        }
        #expect(text(path + "/a.csv") == "old a" && text(path + "/a.md") == "old md" && text(path + "/a.json") == "old json")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == ["a.csv", "a.json", "a.md"])

        // A set whose files did not exist before: the renamed ones are removed again.
        OutputFolder.failingRename = "b.json"
        #expect(throws: RunError.self) {
            try folder.write([("b.csv", Data("b".utf8)), ("b.json", Data("b".utf8))])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == ["a.csv", "a.json", "a.md"])
        OutputFolder.failingRename = nil
        try folder.write([("a.csv", Data("new a".utf8))])
        #expect(text(path + "/a.csv") == "new a")
    }

    /// A symlink at a final name is replaced, its target untouched; one at a name this package
    /// uses for temporaries is removed as stale, its target untouched.
    @Test func symlinksAreReplacedOrRemovedNeverFollowed() throws {
        let path = try scratch(), outside = try scratch()
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: outside) }
        let victim = outside + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: path + "/x.csv", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: path + "/.x.csv.0123456789abcdef.tmp", withDestinationPath: victim)
        let folder = try OutputFolder.open(path)
        folder.removeStaleTemporaries(of: ["x.csv"])
        try folder.write([("x.csv", Data("result".utf8))])
        #expect(text(victim) == "precious")
        #expect(text(path + "/x.csv") == "result")
        #expect(try FileManager.default.attributesOfItem(atPath: path + "/x.csv")[.type] as? FileAttributeType == .typeRegular)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["x.csv"])
    }

    @Test func onlyTheNamesOfThisPackagesTemporariesAreStale() {
        #expect(OutputFolder.isTemporary(".a.csv.0123456789abcdef.tmp", of: "a.csv"))
        #expect(OutputFolder.isTemporary(".a.csv.0123456789abcdef.old", of: "a.csv"))
        #expect(!OutputFolder.isTemporary(".a.csv.0123456789abcde.tmp", of: "a.csv"))
        #expect(!OutputFolder.isTemporary(".a.csv.0123456789abcdeg.tmp", of: "a.csv"))
        #expect(!OutputFolder.isTemporary(".a.csv.0123456789abcdef.tmp", of: "b.csv"))
        #expect(!OutputFolder.isTemporary("a.csv", of: "a.csv"))
    }

    /// A second exclusive holder is refused with the holder's process id; shared holders coexist
    /// with each other but not with an exclusive one; closing releases.
    @Test func theFolderLockNamesItsHolder() throws {
        let path = try scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var first: OutputFolder? = try OutputFolder.open(path)
        do {
            _ = try OutputFolder.open(path)
            Issue.record("a second exclusive holder was let in")
        } catch {
            #expect(error.description.contains("in use by another hessian-study command (process \(getpid())"), "\(error)")
        }
        first = nil
        let a = try OutputFolder.open(path, access: .shared), b = try OutputFolder.open(path, access: .shared)
        #expect(throws: ConfigError.self) { try OutputFolder.open(path) }
        _ = (a, b, first)
    }

    /// A file where the folder should be, and a folder in which nothing can be created (/proc),
    /// are errors naming `--out`, one line, with no Foundation error dump.
    @Test func unusableFoldersAreClearErrors() throws {
        let path = try scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data().write(to: URL(fileURLWithPath: path + "/file"))
        for (target, expected) in [(path + "/file", "is a file, not a folder"), ("/proc", "cannot be created"), (path + "/file/below", "not a folder")] {
            do {
                _ = try OutputFolder.open(target)
                Issue.record("\(target) was accepted")
            } catch {
                #expect(error.description.hasPrefix("--out: \(target): ") && error.description.contains(expected), "\(error)")
                #expect(!error.description.contains("Domain=") && !error.description.contains("\n"), "\(error)")
            }
        }
    }

    /// ConfigError is one line whatever its parts hold.
    @Test func errorsStayOnOneLine() {
        let error = ConfigError(file: "a\nb.json", key: "k\r", message: "got \"x\ny\"\u{2028}")
        #expect(!error.description.contains("\n") && !error.description.contains("\r") && !error.description.contains("\u{2028}"))
        #expect(error.description.contains("a\\nb.json"))
    }
}
