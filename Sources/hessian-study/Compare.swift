import ArgumentParser
import Foundation
import MonteCarlo
import Report

extension HessianStudy {
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that re-run result CSVs reproduce committed ones: exit 0 if every pair agrees, 1 if not.",
            discussion: "Byte for byte, except that numbers may differ in their last bits (another CPU's BLAS kernels): within τ = 2^21·2^-53 of the row's magnitude. Prints one line per pair."
        )

        @Argument(help: ArgumentHelp("Pairs of files: EXPECTED ACTUAL [EXPECTED ACTUAL …].", valueName: "file"))
        var files: [String]

        func validate() throws {
            guard !files.isEmpty, files.count % 2 == 0 else { throw ValidationError("give pairs of files: EXPECTED ACTUAL") }
        }

        func run() throws {
            var all = true
            for k in stride(from: 0, to: files.count, by: 2) {
                let outcome = try ResultComparison.compare(expectedFile: files[k], actualFile: files[k + 1])
                print("\(outcome): \(files[k])")
                all = all && outcome.reproduces
            }
            if !all { throw ExitCode.failure }
        }
    }
}
