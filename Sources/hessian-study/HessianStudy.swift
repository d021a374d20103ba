import ArgumentParser
import Foundation
import MonteCarlo
import Report
import Reporting
import Studies

/// `hessian-study`: runs the studies of docs/SCIENCE.md from config files (docs/RESULTS.md).
///
/// The subcommands are nested types of this one, one file each (`HessianStudy.Run` in Run.swift,
/// …); options several of them take are the option groups of Options.swift. The commands only
/// parse arguments: the work is done by MonteCarlo (``RunSession``) and Report.
///
/// Exit status: 0 success; 2 a usage or config error (one line on stderr naming the file and
/// the key); 1 any other failure.
@main
struct HessianStudy: ParsableCommand {
    /// The release and the build (``BuildIdentity``): what part files, checkpoints and manifests record.
    static let version = BuildIdentity.version

    static let configuration = CommandConfiguration(
        commandName: "hessian-study",
        abstract: "Monte Carlo evidence on whether Adam's second moment measures the Hessian.",
        version: version,
        subcommands: [Run.self, Merge.self, Check.self, Report.self, Quote.self, List.self, Replicate.self, Compare.self]
    )

    static func main() {
        if let k = firstArgumentNotUTF8() {
            fail("hessian-study: argument \(k) is not UTF-8 text; paths (configs, folders, --out) must be UTF-8 here, since read any other way two distinct paths could name one folder", status: 2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ConfigError {
            fail(error.description, status: 2)
        } catch let error as UsageError {
            fail(error.description, status: 2)
        } catch let error as ReportError {
            fail("hessian-study: error: \(error)", status: 1)
        } catch let error as RunError {
            fail("hessian-study: error: \(error)", status: 1)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)  // the command has said why (compare: one line per pair)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = HessianStudy.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            // Argument parsing errors are usage errors: status 2, as the contract says.
            fail("hessian-study: \(message)", status: code == .validationFailure ? 2 : 1)
        }
    }

    /// The position of the first argument whose bytes are not UTF-8 (Swift's arguments replace
    /// such bytes by U+FFFD, which would send output to another path), or nil.
    static func firstArgumentNotUTF8() -> Int? {
        (1..<Int(CommandLine.argc)).first { k in
            CommandLine.unsafeArgv[k].map { String(validatingCString: $0) == nil } ?? false
        }
    }

    /// Says `line` and exits with `status`; while SIGINT or SIGTERM is being handled, waits for
    /// that exit instead (an error the interruption caused is not the command's outcome).
    static func fail(_ line: String, status: Int32) -> Never {
        OutputFolder.exit(status) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

/// A usage error the parser cannot see (a bad `--out`, say): exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}
