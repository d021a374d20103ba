import Foundation
import MonteCarlo
import Report
import Studies
import Reporting
import Testing

/// The report's verdicts on small fixed inputs: each flips when its number crosses the bound.
struct ReportTests {
    /// sqrt-law results with the isotropic slope at `slope` ± 0.01 against theory 2.
    func sqrtLaw(slope: Double, rotatedDiagonalError: Double = 1.0) -> StudyResults {
        var rows = [ResultRow(cell: 0, grid: ["rotation": "none", "alpha": "0"], quantity: "slope", estimate: slope, mcse: 0.01, theory: 2)]
        rows += (0..<4).map { ResultRow(cell: 0, grid: ["rotation": "none", "alpha": "0"], quantity: "v", index: $0, estimate: 1, mcse: 0.01, theory: 1) }
        rows += [
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "v_over_diag_law", index: 0, estimate: 3, mcse: 0.01, theory: 3),
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "recovery_error_full", estimate: 0.01, mcse: 0.001, theory: nil),
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "recovery_error_diag", estimate: rotatedDiagonalError, mcse: 0.001, theory: nil),
        ]
        return StudyResults(name: "sqrt-law", rows: rows)
    }

    @Test func squareRootLawVerdictFlipsAtFourMCSE() throws {
        // z = 3.9: agrees; z = 4.1: the law fails its own assumption.
        #expect(try #require(Claims.squareRootLaw(sqrtLaw(slope: 2.039))).verdict == .holdsUnderConditions)
        #expect(try #require(Claims.squareRootLaw(sqrtLaw(slope: 2.041))).verdict == .fails)
        // Without the rotation's failure the law holds exactly.
        #expect(try #require(Claims.squareRootLaw(sqrtLaw(slope: 2, rotatedDiagonalError: 0.05))).verdict == .holdsExactly)
    }

    @Test func gaussNewtonVerdictFlipsAtFourMCSE() throws {
        func results(_ slope: Double) -> StudyResults {
            StudyResults(name: "gauss-newton", rows: [
                ResultRow(cell: 0, grid: ["batch": "1", "spread": "0"], quantity: "slope", estimate: slope, mcse: 0.001, theory: 1),
                ResultRow(cell: 0, grid: ["batch": "1", "spread": "0"], quantity: "gn_ratio", index: 0, estimate: 1, mcse: 0.01, theory: 1),
            ])
        }
        #expect(try #require(Claims.gaussNewtonLaw(results(1.0039), beyond: nil)).verdict == .holdsUnderConditions)
        #expect(try #require(Claims.gaussNewtonLaw(results(1.0041), beyond: nil)).verdict == .fails)
    }

    @Test func adaBeliefVerdictFlipsAtItsErrorBound() throws {
        func results(_ error: Double) -> StudyResults {
            StudyResults(name: "adabelief", rows: [
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "v_centered", index: 0, estimate: 1, mcse: 0.01, theory: 1),
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "curvature_error_second_moment", estimate: 2, mcse: 0.01, theory: nil),
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "curvature_error_centered", estimate: error, mcse: 0.001, theory: nil),
            ])
        }
        #expect(try #require(Claims.adaBelief(results(0.049))).verdict == .holdsUnderConditions)
        #expect(try #require(Claims.adaBelief(results(0.051))).verdict == .fails)
    }

    @Test func emaVerdictNeedsT4() throws {
        func results(_ relVar: Double) -> StudyResults {
            StudyResults(name: "ema", rows: (0..<100).map {
                ResultRow(cell: $0, grid: ["beta2": "0.9", "rho": "0", "beta1": "0.9"], quantity: "rel_var",
                          estimate: $0 == 0 ? relVar : 0.105, mcse: 0.001, theory: 0.105)
            })
        }
        // One row in 100 may disagree (the 99% rule); the verdict is about the rows together. What is
        // tested is a stationary stream, so C3 holds under that condition, never exactly.
        #expect(try #require(Claims.averagingHorizons(results(0.2))).verdict == .holdsUnderConditions)
        // Two rows in 100 do not agree: T4 fails, and so does the claim's evidence.
        let two = StudyResults(name: "ema", rows: results(0.2).rows.enumerated().map { i, row in
            var row = row
            if i == 1 { row.estimate = 0.2 }
            return row
        })
        #expect(try #require(Claims.averagingHorizons(two)).verdict == .fails)
    }

    /// C1 holds under stated conditions exactly when some coordinate's ηh/(√v̂ + ε) lies within 5%
    /// of the stability limit L at the largest β₂, and fails when none does (a run far from the
    /// edge, like a user's with sharpness 0.146 against L = 38, decides nothing in C1's favour).
    @Test func diagonalNewtonVerdictFlipsAtTheEdge() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dynamics = try StudyResults.load("dynamics", from: root.appendingPathComponent("results/quick"), studies: allStudies)
        let top = dynamics.values(of: "beta2").last!
        func with(_ ratio: (ResultRow) -> Double) -> StudyResults {
            StudyResults(name: dynamics.name, rows: dynamics.rows.map { row in
                var row = row
                if row.quantity == "newton_ratio", row.grid["beta2"] == top { row.estimate = ratio(row) }
                return row
            }, manifest: dynamics.manifest, config: dynamics.config)
        }
        // Adam's L = 2(1 + 0.9)/(1 − 0.9) = 38, RMSProp's 2.
        func adamLast(_ value: Double) -> (ResultRow) -> Double {
            { row in row.grid["optimizer"] == "adam" && row.index == 0 ? value : 1e-3 }
        }
        #expect(try #require(Claims.diagonalNewton(with(adamLast(38 * 1.049)))).verdict == .holdsUnderConditions)
        #expect(try #require(Claims.diagonalNewton(with(adamLast(38 * 1.051)))).verdict == .fails)
        #expect(try #require(Claims.diagonalNewton(with(adamLast(38 * 0.951)))).verdict == .holdsUnderConditions)
        #expect(try #require(Claims.diagonalNewton(with(adamLast(0.146)))).verdict == .fails)
    }

    /// The committed results give a verdict with numbers for each of C1–C5, and REPORT.md links
    /// every figure it names.
    @Test func committedResultsDecideEveryClaim() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let report = try StudyReport.load(from: root.appendingPathComponent("results"))
        let decisions = report.decisions
        #expect(decisions.map(\.claim) == ["C1", "C2", "C3", "C4", "C5"])
        for d in decisions {
            #expect(!d.evidence.isEmpty)
            #expect(d.evidence.contains { $0.contains("±") }, "\(d.claim) shows numbers with their MCSE")
        }
        let markdown = report.markdown(figures: ["sqrt-law.svg"])
        #expect(markdown.contains("![sqrt-law.svg](figures/sqrt-law.svg)"))
        #expect(markdown.contains("**Answer.**"))
    }

    @Test func figuresRenderWithGnuplot() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let report = try StudyReport.load(from: root.appendingPathComponent("results/quick"))
        let figures = Figures.all(report)
        // Chosen by each manifest's study, named after the results file: dynamics-edge (a
        // dynamics run under another name) gets its own.
        #expect(figures.map(\.name) == ["adabelief", "dynamics-rmsprop", "dynamics-adam", "dynamics-edge-rmsprop", "dynamics-edge-adam",
                                         "ema", "gauss-newton", "gauss-newton-local-slope", "sqrt-law"])
        let drawn = try Figures.draw(figures)
        #expect(drawn.map(\.file) == figures.map { "\($0.name).svg" })
        for (file, bytes) in drawn {
            let svg = String(decoding: bytes, as: UTF8.self)
            #expect(svg.contains("<svg") && svg.contains("</svg>"), "\(file)")
        }
    }
}
