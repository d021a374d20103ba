import Foundation
import MonteCarlo
import Report
import Studies
import Reporting
import TestSupport
import Testing

/// The report's verdicts on small fixed inputs: each flips when its number crosses the bound.
struct ReportTests {
    /// sqrt-law results with the isotropic slope at `slope` ± 0.01 against theory 2; the rows say no
    /// R, so a row crosses 4 MCSE by chance with the normal limit's 6.3·10⁻⁵.
    func sqrtLaw(slope: Double, rotatedDiagonalError: Double = 1.0, v: Double = 1) -> StudyResults {
        var rows = [ResultRow(cell: 0, grid: ["rotation": "none", "alpha": "0"], quantity: "slope", estimate: slope, mcse: 0.01, theory: 2)]
        rows += (0..<4).map { ResultRow(cell: 0, grid: ["rotation": "none", "alpha": "0"], quantity: "v", index: $0, estimate: $0 == 0 ? v : 1, mcse: 0.01, theory: 1) }
        rows += [
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "v_over_diag_law", index: 0, estimate: 3, mcse: 0.01, theory: 3),
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "recovery_error_full", estimate: 0.01, mcse: 0.001, theory: nil),
            ResultRow(cell: 1, grid: ["rotation": "haar", "alpha": "0"], quantity: "recovery_error_diag", estimate: rotatedDiagonalError, mcse: 0.001, theory: nil),
        ]
        return StudyResults(name: "sqrt-law", rows: rows)
    }

    @Test func squareRootLawVerdictFlipsAtFourMCSE() throws {
        // z = 3.9: agrees; z = 4.1: the law fails its own assumption.
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 2.039)])).verdict.name == "holds in a regime")
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 2.041)])).verdict == .fails)
        // Below the theory as well as above: z = −3.9 agrees, −4.1 does not.
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 1.961)])).verdict.name == "holds in a regime")
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 1.959)])).verdict == .fails)
        // One `v` row of four at z = −4.1: chance puts one there with probability 2.5·10⁻⁴ < 10⁻³,
        // so T1 fails (ResultRow.agrees, both signs); at z = −3.9 none is beyond.
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 2, v: 0.959)])).verdict == .fails)
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 2, v: 0.961)])).verdict.name == "holds in a regime")
        // Without the rotation's failure the law holds, with no regime to state.
        #expect(try #require(SqrtLaw.decide([sqrtLaw(slope: 2, rotatedDiagonalError: 0.05)])).verdict == .holds)
    }

    @Test func gaussNewtonVerdictFlipsAtFourMCSE() throws {
        let t3 = ["batch": "1", "spread": "0", "model": "linear", "noise": "homoscedastic"]
        func results(_ slope: Double) -> StudyResults {
            StudyResults(name: "gauss-newton", rows: [
                ResultRow(cell: 0, grid: t3, quantity: "slope", estimate: slope, mcse: 0.001, theory: 1),
                ResultRow(cell: 0, grid: t3, quantity: "gn_ratio", index: 0, estimate: 1, mcse: 0.01, theory: 1),
            ])
        }
        // Only θ* was run, so nothing shows where the law stops: it holds.
        #expect(try #require(GaussNewton.decide([results(1.0039)])).verdict == .holds)
        // Two of three gn_ratio rows at z = 10 (R unknown: 6.3·10⁻⁵ a row): far beyond chance, T3 fails.
        let offRatios = StudyResults(name: "gauss-newton", rows: results(1).rows + (1...2).map {
            ResultRow(cell: 0, grid: t3, quantity: "gn_ratio", index: $0, estimate: 1.1, mcse: 0.01, theory: 1)
        })
        #expect(try #require(GaussNewton.decide([offRatios])).verdict == .fails)
        #expect(try #require(GaussNewton.decide([results(1.0041)])).verdict == .fails)
    }

    @Test func adaBeliefVerdictFlipsAtItsErrorBound() throws {
        func results(_ error: Double) -> StudyResults {
            StudyResults(name: "adabelief", rows: [
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "v_centered", index: 0, estimate: 1, mcse: 0.01, theory: 1),
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "curvature_error_second_moment", estimate: 2, mcse: 0.01, theory: nil),
                ResultRow(cell: 0, grid: ["offset": "3"], quantity: "curvature_error_centered", estimate: error, mcse: 0.001, theory: nil),
            ])
        }
        #expect(try #require(AdaBeliefCurvature.decide([results(0.049)])).verdict == .holds)
        #expect(try #require(AdaBeliefCurvature.decide([results(0.051)])).verdict == .fails)
        // Every cell counts, not the first at each offset: a second β₂ that misses fails the claim,
        // and the sentences name the β₂ of each.
        let twoBeta2 = StudyResults(name: "adabelief", rows: results(0.049).rows.map { row in
            var row = row
            row.parameters["beta2"] = "0.99"
            return row
        } + results(0.051).rows.map { row in
            var row = row
            row.cell = 1
            row.parameters["beta2"] = "0.999"
            return row
        })
        let decision = try #require(AdaBeliefCurvature.decide([twoBeta2]))
        #expect(decision.verdict == .fails)
        #expect(decision.evidence.contains { $0.description.hasPrefix("c = 3, β₂ = 0.999: ") })
    }

    @Test func emaVerdictNeedsT4() throws {
        func results(_ relVar: Double) -> StudyResults {
            StudyResults(name: "ema", rows: (0..<100).map {
                ResultRow(cell: $0, grid: ["beta2": "0.9", "rho": "0", "beta1": "0.9", "drift": "0"], quantity: "rel_var",
                          estimate: $0 == 0 ? relVar : 0.105, mcse: 0.001, theory: 0.105)
            })
        }
        // The rows say no R (the normal limit: 6.3·10⁻⁵ a row). One row in 100 beyond 4 MCSE happens
        // by chance with probability 6.3·10⁻³ ≥ 10⁻³: the rows agree as a set. What is tested is a
        // stationary stream, so C3 holds in that regime, never outright.
        #expect(try #require(EMAAccuracy.decide([results(0.2)])).verdict.name == "holds in a regime")
        // Two rows in 100: probability 2·10⁻⁵ < 10⁻³, so T4 fails, and so does the claim's evidence.
        let two = StudyResults(name: "ema", rows: results(0.2).rows.enumerated().map { i, row in
            var row = row
            if i == 1 { row.estimate = 0.2 }
            return row
        })
        #expect(try #require(EMAAccuracy.decide([two])).verdict == .fails)
    }

    /// C1 holds in a regime exactly when some coordinate's ηh/(√v̂ + ε) lies within 5%
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
        let pinned = try #require(Dynamics.decide([with(adamLast(38 * 1.049))])).verdict
        #expect(pinned.name == "holds in a regime")
        // The regime names the optimizer, its β₂ and its count of coordinates at the edge.
        #expect(pinned.condition?.description.contains("Adam at β₂ = \(top), 1 of") == true)
        #expect(pinned.condition?.description.contains("RMSProp at β₂ = \(top), none of") == true)
        #expect(try #require(Dynamics.decide([with(adamLast(38 * 1.051))])).verdict == .fails)
        #expect(try #require(Dynamics.decide([with(adamLast(38 * 0.951))])).verdict.name == "holds in a regime")
        #expect(try #require(Dynamics.decide([with(adamLast(0.146))])).verdict == .fails)
    }

    /// The committed results give a verdict with numbers for each of C1–C5, and REPORT.md links
    /// every figure it names.
    @Test func committedResultsDecideEveryClaim() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let report = try StudyReport.load(from: root.appendingPathComponent("results"))
        let decisions = report.decisions()
        #expect(decisions.map(\.claim.id) == ["C1", "C2", "C3", "C4", "C5", "§5"])
        for d in decisions {
            #expect(!d.evidence.isEmpty)
            #expect(d.evidence.contains { $0.description.contains("±") }, "\(d.claim.id) shows numbers with their MCSE")
        }
        let markdown = report.markdown(figures: ["sqrt-law.svg"], bySource: ["sqrt-law": ["sqrt-law.svg"]])
        #expect(markdown.contains("![sqrt-law.svg](figures/sqrt-law.svg)"))
        #expect(markdown.contains("**Answer.**"))
    }

    @Test func figuresRenderWithGnuplot() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let report = try StudyReport.load(from: root.appendingPathComponent("results/quick"))
        let figures = Figures.all(report)
        // Chosen by each manifest's study, named after the results file: dynamics-edge (a
        // dynamics run under another name) gets its own, and so does gauss-newton-beyond, whose
        // batch size is fixed rather than gridded.
        #expect(figures.map(\.name) == ["adabelief", "dynamics.rmsprop", "dynamics.adam", "dynamics-edge.rmsprop", "dynamics-edge.adam",
                                         "dynamics-minibatch.passage", "dynamics-noise.exponents", "dynamics-rotated.t8",
                                         "ema", "ema-drift.drift", "gauss-newton", "gauss-newton.local-slope",
                                         "gauss-newton-beyond", "gauss-newton-beyond.local-slope", "network.0", "network.1", "sqrt-law"])
        let drawn = try Figures.draw(figures)
        #expect(drawn.map(\.file) == figures.map { "\($0.name).svg" })
        for (file, bytes) in drawn {
            let svg = String(decoding: bytes, as: UTF8.self)
            #expect(svg.contains("<svg") && svg.contains("</svg>"), "\(file)")
        }
    }
}

/// The report reads any results folder by each manifest's study, whatever the files are called.
struct AnyFolderReportTests {
    /// A user's own dynamics run, named as they like, with two grid keys: its claim (C1), its
    /// headline and its figures are there; the claims no file in the folder tests are "not
    /// applicable", each saying why.
    @Test func aRenamedDynamicsRunGetsItsSectionsAndFigures() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("my-adam-b2.json")
        try Data("""
            {"study": "dynamics", "seed": 3, "replications": 4,
             "fixed": {"lr": 0.01, "noise_sigma": 0.0004, "spectrum": {"min": 0.0015, "max": 150, "count": 9}, "steps": 3000, "burn_in": 1000},
             "grid": {"optimizer": ["rmsprop", "adam"], "beta2": [0.99, 0.999]}}
            """.utf8).write(to: config)
        let results = folder.appendingPathComponent("results")
        #expect(try hessianStudy(["run", config.path, "--out", results.path, "--quiet"]).status == 0)
        let report = try hessianStudy(["report", results.path])
        #expect(report.status == 0, "\(report.err)")
        let text = try String(contentsOf: results.appendingPathComponent("REPORT.md"), encoding: .utf8)
        #expect(!text.contains("No result set here bears"))
        #expect(text.contains("## C1 Adam is a diagonal Newton method: holds") || text.contains("## C1 Adam is a diagonal Newton method: fails"))
        #expect(text.contains("Tables: [my-adam-b2](my-adam-b2.md)."))
        for claim in ["C2 Square-root law", "C3 β₂ ≫ β₁", "C4 Gauss–Newton law", "C5 AdaBelief"] {
            #expect(text.contains("## \(claim): not applicable\n\nVerdict: **not applicable**: this folder holds no results of the"), "\(claim)")
        }
        let figures = try FileManager.default.contentsOfDirectory(atPath: results.appendingPathComponent("figures").path).sorted()
        #expect(figures == ["my-adam-b2.adam.svg", "my-adam-b2.rmsprop.svg"])
        #expect(text.contains("![my-adam-b2.adam.svg](figures/my-adam-b2.adam.svg)"))
        // The answer's row about rotated H needs a sqrt-law run: not here.
        #expect(!text.contains("row norms"))
    }

    /// A folder with only `ema`: C3 is decided, every other claim is not applicable.
    @Test func anEMAFolderDecidesC3Only() throws {
        let report = StudyReport(studies: ["ema": try StudyResults.load("ema", from: packageRoot.appendingPathComponent("results/quick"), studies: allStudies)])
        let verdicts = Dictionary(uniqueKeysWithValues: report.decisions().map { ($0.claim.id, $0.verdict) })
        #expect(verdicts["C3"]?.name == "holds in a regime")
        #expect(["C1", "C2", "C4", "C5"].allSatisfy { verdicts[$0] == .notApplicable })
        #expect(report.headline.contains("No result set here bears on which law v follows"))
    }
}

/// §5's rules flip where a 4-MCSE interval leaves its band: the level's at a factor 2, the
/// slope's at 0.1 from 1; a cell whose interval crosses a band's edge is undecided, not counted.
struct NetworkVerdictTests {
    func results(logRatio: Double, slope: Double, slopeMCSE: Double = 0.001) -> StudyResults {
        let grid = ["data": "digits", "model": "mlp", "beta2": "0.99"]
        return StudyResults(name: "network", rows: [
            ResultRow(cell: 0, grid: grid, quantity: "log_ratio_minibatch", estimate: logRatio, mcse: 0.001, theory: nil),
            ResultRow(cell: 0, grid: grid, quantity: "slope_minibatch", estimate: slope, mcse: slopeMCSE, theory: nil),
        ])
    }

    func verdict(_ logRatio: Double, _ slope: Double, slopeMCSE: Double = 0.001) throws -> Verdict {
        try #require(NetworkStudy.decide([results(logRatio: logRatio, slope: slope, slopeMCSE: slopeMCSE)])).verdict
    }

    @Test func levelFlipsWhereItsIntervalLeavesAFactorTwo() throws {
        let bound = log10(2.0), half = 4 * 0.001
        #expect(try verdict(bound - half - 1e-9, 1) == .holds)
        #expect(try verdict(bound - half + 1e-9, 1).name == "undecided")
        #expect(try verdict(bound + half - 1e-9, 1).name == "undecided")
        #expect(try verdict(bound + half + 1e-9, 1) == .fails)
        #expect(try verdict(-bound - half - 1e-9, 1) == .fails)
    }

    @Test func slopeFlipsWhereItsIntervalLeavesOneTenthAndWideSlopesDecideNothing() throws {
        let half = 4 * 0.001
        #expect(try verdict(0, 1.1 - half - 1e-9) == .holds)
        #expect(try verdict(0, 1.1 - half + 1e-9).name == "undecided")
        #expect(try verdict(0, 1.1 + half + 1e-9) == .fails)
        #expect(try verdict(0, 0.9 - half - 1e-9) == .fails)
        // A slope of 0.5 ± 0.48 (diabetes, linear, β₂ = 0.9 in the committed results) crosses the
        // band: undecided, where the old rule let the level alone count it as following.
        #expect(try verdict(0, 0.5, slopeMCSE: 0.48).name == "undecided")
        // 0.42 ± 0.10: the interval [0.02, 0.82] lies below the band: decided against.
        #expect(try verdict(0, 0.42, slopeMCSE: 0.10) == .fails)
    }

    /// A cell whose every bin has √v̂ ≤ 10ε is counted apart, however well it matches M_B: the
    /// committed digits MLP at β₂ = 0.9 (ε = 10⁻⁸, so the floor is log₁₀ v̂ = −14).
    @Test func epsilonSetsTheStepBelowTenEpsilon() throws {
        let network = try StudyResults.load("network", from: packageRoot.appendingPathComponent("results"), studies: allStudies)
        func cellZero(largestLogV: Double) throws -> NetworkStudy.Findings.Cell {
            var rows = network.rows
            let bins = rows.indices.filter { rows[$0].cell == 0 && rows[$0].quantity == "bin_log10_v_minibatch" }
            for (k, i) in bins.enumerated() { rows[i].estimate = k == 0 ? largestLogV : largestLogV - 1 }
            let changed = StudyResults(name: network.name, rows: rows, manifest: network.manifest, config: network.config)
            return try #require(NetworkStudy.findings([changed])?.cells.first)
        }
        #expect(try cellZero(largestLogV: -14.0001).standing == .epsilonSetsTheStep)
        #expect(try cellZero(largestLogV: -13.9999).standing != .epsilonSetsTheStep)
        let committed = try #require(NetworkStudy.findings([network]))
        #expect(committed.cells.filter { $0.standing == .epsilonSetsTheStep }.map { $0.setup.map(\.value) + [$0.beta2] }
                == [["digits", "mlp", "0.9"], ["digits", "mlp", "0.99"]])
    }
}

/// The rules that read several files: which dynamics files C1 reads, what other studies add to a
/// claim, and C3 with and without drift.
struct CrossFileReportTests {
    /// Heteroscedastic noise breaks C4's "≈" exactly when its ratio exceeds 1 by more than 4 MCSE.
    @Test func heteroscedasticBreakFlipsAtFourMCSE() throws {
        func set(_ ratio: Double) -> StudyResults {
            StudyResults(name: "gauss-newton-beyond", rows: [
                ResultRow(cell: 0, grid: ["model": "linear", "noise": "homoscedastic", "spread": "0", "batch": "1"], quantity: "slope",
                          estimate: 1, mcse: 0.001, theory: 1),
                ResultRow(cell: 1, grid: ["model": "linear", "noise": "heteroscedastic", "spread": "0", "batch": "1"], quantity: "gn_ratio", index: 0,
                          estimate: ratio, mcse: 0.01, theory: nil),
            ])
        }
        #expect(try #require(GaussNewton.findings(set(1.039))).breaks == false)
        #expect(try #require(GaussNewton.findings(set(1.041))).breaks == true)
        #expect(try #require(GaussNewton.decide([set(1.041)])).summary.description.contains("breaks"))
        #expect(try #require(GaussNewton.decide([set(1.041)])).verdict.name == "holds in a regime")
        #expect(try #require(GaussNewton.decide([set(1.039)])).summary.description.contains("breaks") == false)
        #expect(try #require(GaussNewton.decide([set(1.039)])).verdict == .holds)
    }

    /// A folder holding only a rotated dynamics run: C1 reads diagonal runs only, so it is not
    /// applicable; the run's T8 evidence appears under C2, with its table.
    @Test func aRotatedRunFeedsC2AndNotC1() throws {
        let folder = try quickResults(only: ["dynamics-rotated"])
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let decisions = Dictionary(uniqueKeysWithValues: try StudyReport.load(from: folder).decisions().map { ($0.claim.id, $0) })
        let c1 = try #require(decisions["C1"]), c2 = try #require(decisions["C2"])
        #expect(c1.verdict == .notApplicable)
        #expect(c2.verdict == .notApplicable, "sqrt-law decides C2; it is not in the folder")
        #expect(c2.evidence.contains { $0.description.contains("Rotated H in `dynamics-rotated`") })
        #expect(c2.tables == ["dynamics-rotated"])
        #expect(try StudyReport.load(from: folder).headline.contains("No result set here bears"))
    }

    /// C3 says what bounds β₂ below 1 only with a drift run in the folder, and then from T9.
    @Test func c3UsesTheDriftRunWhenThereIsOne() throws {
        let withDrift = try quickResults(only: ["ema", "ema-drift"]), without = try quickResults(only: ["ema"])
        defer {
            try? FileManager.default.removeItem(at: withDrift.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: without.deletingLastPathComponent())
        }
        func c3(_ folder: URL) throws -> ClaimDecision {
            try #require(StudyReport.load(from: folder).decisions().first { $0.claim.id == "C3" })
        }
        let drifting = try c3(withDrift), stationary = try c3(without)
        #expect(drifting.evidence.contains { $0.description.contains("of T9 at the finite t run") })
        #expect(!drifting.evidence.contains { $0.description.hasPrefix("Not applicable") })
        #expect(drifting.verdict.condition?.description.contains("`ema-drift`: under drift") == true)
        #expect(stationary.evidence.contains { $0.description.hasPrefix("Not applicable") })
        #expect(drifting.verdict.name == stationary.verdict.name)
    }
}

/// The pieces of the rules that are not verdicts: pooling replicate cells, naming a law from an
/// exponent.
struct RulePieceTests {
    /// Inverse-variance pooling: estimates 0 ± 1 and 3 ± 2 pool to (0·1 + 3·¼)/(1 + ¼) = 0.6 with
    /// MCSE 1/√1.25; rows of different theories are not pooled.
    @Test func replicateCellsPoolByInverseVariance() throws {
        let a = ResultRow(cell: 0, quantity: "rel_var", estimate: 0, mcse: 1, theory: 0.1), b = ResultRow(cell: 1, quantity: "rel_var", estimate: 3, mcse: 2, theory: 0.1)
        let pooled = try #require(EMAAccuracy.pool([a, b]))
        #expect(abs(pooled.estimate - 0.6) < 1e-15)
        #expect(abs(pooled.mcse! - 1 / 1.25.squareRoot()) < 1e-15)
        var other = b
        other.theory = 0.2
        #expect(EMAAccuracy.pool([a, other]) == nil)
        #expect(EMAAccuracy.pool([b]) == b)
    }

    /// An exponent names the Gauss–Newton law within 0.1 of 1, the square-root law within 0.1 of
    /// 2, "between" strictly inside, "neither" outside.
    @Test func anExponentNamesItsLawAtATenthFromIt() {
        func law(_ e: Double) -> String { Dynamics.law(e).description }
        #expect(law(1.1 - 1e-9) == "the Gauss–Newton law")
        #expect(law(1.1 + 1e-9) == "between the two laws")
        #expect(law(0.9 + 1e-9) == "the Gauss–Newton law")
        #expect(law(0.9 - 1e-9) == "neither law")
        #expect(law(1.9 + 1e-9) == "the square-root law")
        #expect(law(1.9 - 1e-9) == "between the two laws")
        #expect(law(2.1 + 1e-9) == "neither law")
    }
}
