import Foundation
import GSL
import MonteCarlo
import Report
import Reporting
import Studies
import TestSupport
import Testing

/// P(|T| > t) for Student's t with 5 degrees of freedom, in closed form (for odd ν the cdf is
/// elementary: with θ = atan(t/√5), P(|T| ≤ t) = (2/π)(θ + sinθ cosθ (1 + (2/3)cos²θ))): an
/// independent check of the chance a row crosses 4 MCSE with R = 6.
func studentFiveTail(_ t: Double) -> Double {
    let theta = atan(t / 5.0.squareRoot()), c = cos(theta)
    return 1 - 2 / Double.pi * (theta + sin(theta) * c * (1 + 2.0 / 3.0 * c * c))
}

/// P(X ≥ k) for X ~ Binomial(n, p), summed term by term in logs (independent of GSL's cdf).
func binomialTail(atLeast k: Int, of n: Int, _ p: Double) -> Double {
    guard k > 0 else { return 1 }
    guard k <= n else { return 0 }
    return (k...n).reduce(0.0) { sum, j in
        let logTerm = lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1)) + Double(j) * log(p) + Double(n - j) * log1p(-p)
        return sum + exp(logTerm)
    }
}

/// The agreement rule: rows beyond 4 MCSE counted against the binomial chance at the set's R.
struct ExceedanceTests {
    @Test func chanceIsStudentsTailAtRMinusOne() {
        let six = Exceedances((0..<80).map { _ in (z: 0.0, replications: Optional(6)) })
        #expect(six.degreesOfFreedom == 5)
        #expect(abs(six.chance / studentFiveTail(4) - 1) < 1e-10, "\(six.chance) against \(studentFiveTail(4))")
        #expect(abs(six.chance - 0.0103) < 5e-5)
        // The smallest R among the rows sets the chance (the largest per-row chance).
        let mixed = Exceedances([(z: 0, replications: 6), (z: 0, replications: 2000)])
        #expect(mixed.degreesOfFreedom == 5)
        // A row that does not say its R leaves the others to set it; no R known at all: the normal
        // limit, 2Φ(−4) = 6.334·10⁻⁵.
        #expect(Exceedances([(z: 0, replications: nil), (z: 0, replications: 6)]).degreesOfFreedom == 5)
        let unknown = Exceedances([(z: 0, replications: nil), (z: 0, replications: nil)])
        #expect(unknown.degreesOfFreedom == nil)
        #expect(abs(unknown.chance - 6.334248e-5) < 1e-10)
        // R = 1 has no MCSE: not scored.
        #expect(Exceedances([(z: 9, replications: 1)]).scored == 0)
    }

    @Test func pValueIsTheBinomialTail() {
        for (beyond, n, r) in [(0, 80, 6), (1, 80, 6), (2, 80, 6), (3, 80, 6), (1, 192, 50), (2, 192, 50), (5, 40, 3)] {
            let rows = (0..<n).map { i in (z: i < beyond ? 4.5 : 1.0, replications: Optional(r)) }
            let count = Exceedances(rows)
            #expect(count.beyond == beyond && count.scored == n)
            let p = StudentT.twoSidedTail(4, degreesOfFreedom: r - 1)
            let expected = binomialTail(atLeast: beyond, of: n, p)
            #expect(abs(count.pValue - expected) <= 1e-12 + 1e-9 * expected, "\(beyond) of \(n) at R = \(r): \(count.pValue) against \(expected)")
        }
        // Exactly 4 MCSE is within (the tables' |z| ≤ 4); just beyond is not.
        #expect(Exceedances([(z: 4, replications: 6)]).beyond == 0)
        #expect(Exceedances([(z: -4.000001, replications: 6)]).beyond == 1)
        #expect(Binomial.upperTail(atLeast: 0, trials: 5, probability: 0.3) == 1)
        #expect(Binomial.upperTail(atLeast: 6, trials: 5, probability: 0.3) == 0)
        #expect(abs(Binomial.upperTail(atLeast: 5, trials: 5, probability: 0.3) - pow(0.3, 5)) < 1e-15)
    }

    /// The rule's threshold at R = 6 and 80 rows (0.83 expected beyond): 1 beyond is what chance
    /// gives (p-value 0.56), 4 beyond still passes (p-value 0.0096), 5 (0.0015) still does, 6
    /// (1.9·10⁻⁴) fails.
    @Test func oneRowOfEightyAtRSixIsChance() {
        func count(_ beyond: Int) -> Exceedances { Exceedances((0..<80).map { (z: $0 < beyond ? -5 : 0, replications: 6) }) }
        #expect(count(1).withinChance)
        #expect(abs(count(1).pValue - (1 - pow(1 - studentFiveTail(4), 80))) < 1e-10)
        #expect(count(4).withinChance)
        #expect(count(5).withinChance)
        #expect(!count(6).withinChance)
    }
}

/// A decision reads a set's whole configuration: a parameter decides the same whether it was
/// fixed, left at its default or gridded over one value; every set of a study is decided and
/// named; and with R = 6 no set fails on evidence chance explains.
struct WholeConfigurationTests {
    /// Runs `config` (JSON text) into a fresh folder; returns the folder.
    func run(_ config: String, in work: URL, folder: String) throws -> URL {
        let file = work.appendingPathComponent("\(folder).json"), out = work.appendingPathComponent(folder)
        try Data(config.utf8).write(to: file)
        let result = try hessianStudy(["run", file.path, "--out", out.path, "--quiet"])
        #expect(result.status == 0, "\(result.err)")
        return out
    }

    /// Everything a reader sees of a folder: each claim's verdict and sentences, the answer's
    /// rows, and each figure's name, script and data.
    func seen(_ folder: URL) throws -> [String] {
        let report = try StudyReport.load(from: folder)
        let decisions = report.decisions().flatMap { d in ["\(d.claim.id): \(d.verdict.name)"] + d.sentences.map(\.description) }
        let answer = report.answer().map { "\($0.regime) | \($0.law) | \($0.measured)" }
        let figures = Figures.all(report).flatMap { f in [f.name, f.script] + f.data.keys.sorted().map { "\($0): \(f.data[$0]!)" } }
        return decisions + answer + figures
    }

    @Test(arguments: [
        ("sqrt-law", #""spectrum": {"min": 0.01, "max": 100, "count": 8}, "sigma": 0.5, "samples": 300"#,
         [#""rotation": "none", "alpha": 0"#, "", #""rotation": ["none"], "alpha": [0]"#]),
        ("gauss-newton", #""spectrum": {"min": 0.01, "max": 100, "count": 9}, "noise_sigma": 1, "samples": 300"#,
         [#""batch": 1, "model": "linear", "noise": "homoscedastic""#, "", #""batch": [1], "model": ["linear"], "noise": ["homoscedastic"]"#]),
    ])
    func fixedDefaultAndGriddedDecideAlike(_ study: String, _ common: String, _ variants: [String]) throws {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        // gauss-newton grids spread in every variant, so that the crossover h_c is there to read.
        let spread = study == "gauss-newton" ? #""spread": [0, 1]"# : ""
        func config(fixed: String, grid: String) -> String {
            let grids = [spread, grid].filter { !$0.isEmpty }.joined(separator: ", ")
            return #"{"name": "\#(study)", "study": "\#(study)", "seed": 7, "replications": 6, "fixed": {\#(common)\#(fixed.isEmpty ? "" : ", " + fixed)}, "grid": {\#(grids)}}"#
        }
        let fixed = try seen(run(config(fixed: variants[0], grid: ""), in: work, folder: "fixed"))
        let defaults = try seen(run(config(fixed: variants[1], grid: ""), in: work, folder: "defaults"))
        let gridded = try seen(run(config(fixed: "", grid: variants[2]), in: work, folder: "gridded"))
        #expect(fixed == defaults)
        #expect(fixed == gridded)
        // And the claim is decided, with a figure, in each.
        let claim = study == "sqrt-law" ? "C2" : "C4"
        #expect(fixed.contains { $0.hasPrefix("\(claim): holds") || $0 == "\(claim): fails" }, "\(fixed.prefix(3))")
        #expect(fixed.contains(study), "a figure named \(study)")
        if study == "gauss-newton" {
            #expect(fixed.contains { $0.contains("the terms cross at h_c") }, "the crossover is read with batch fixed")
            #expect(!fixed.contains { $0.contains("B = :") })
        }
    }

    /// Two sets of one study in a folder: both decided, both named, their disagreement said, and
    /// the verdict names the set where the law fails.
    @Test func twoSetsOfOneStudyAreBothDecided() throws {
        let quick = packageRoot.appendingPathComponent("results/quick")
        let passing = try StudyResults.load("sqrt-law", from: quick, studies: allStudies)
        var failing = passing
        failing.name = "sqrt-law-b"
        failing.rows = passing.rows.map { row in
            var row = row
            if row.quantity == "slope", row.parameters["rotation"] == "none", row.parameters["alpha"] == "0" { row.estimate = row.theory! + 10 * row.mcse! }
            return row
        }
        let report = StudyReport(studies: ["sqrt-law": passing, "sqrt-law-b": failing])
        let c2 = try #require(report.decisions().first { $0.claim == .c2 })
        let text = c2.sentences.map(\.description).joined(separator: "\n")
        #expect(c2.tables == ["sqrt-law", "sqrt-law-b"])
        #expect(text.contains("The 2 result sets disagree: `sqrt-law` holds in a regime; `sqrt-law-b` fails."))
        #expect(c2.verdict.name == "holds in a regime")
        #expect(c2.verdict.condition?.description.contains("it fails in `sqrt-law-b`") == true)
        #expect(text.contains("In `sqrt-law-b`, fails: the simulated second moment does not follow"))
        // Alike, they are said to agree.
        var second = passing
        second.name = "sqrt-law-c"
        let alike = try #require(StudyReport(studies: ["sqrt-law": passing, "sqrt-law-c": second]).decisions().first { $0.claim == .c2 })
        #expect(alike.evidence.first?.description == "The 2 result sets decide alike: `sqrt-law` holds in a regime; `sqrt-law-c` holds in a regime.")
    }

    /// Five seeds of one config with R = 6 and 80 `v` rows: chance alone puts a row beyond 4 MCSE
    /// in 56% of runs. No seed's C2 may fail unless its own numbers are beyond chance: its slope
    /// beyond 4 MCSE (a 1.0% chance per seed), or its count of rows beyond 4 MCSE with a binomial
    /// p-value, computed here independently, below 10⁻³.
    @Test func rSixFailsOnlyBeyondChance() throws {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        var rowsBeyond: [Int] = []
        for seed in 1...5 {
            let folder = try run(#"{"name": "sqrt-law", "study": "sqrt-law", "seed": \#(seed), "replications": 6, "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": 80}, "sigma": 0.5, "samples": 200}}"#,
                                 in: work, folder: "seed-\(seed)")
            let results = try StudyResults.load("sqrt-law", from: folder, studies: allStudies)
            let v = results.rows(SqrtLaw.Quantities.v)
            let beyond = v.filter { abs($0.z!) > 4 }.count
            rowsBeyond.append(beyond)
            let pValue = binomialTail(atLeast: beyond, of: v.count, studentFiveTail(4))
            let slope = try #require(results.scalar(SqrtLaw.Quantities.slope))
            let decision = try #require(SqrtLaw.decide([results]))
            if decision.verdict == .fails {
                #expect(abs(slope.z!) > 4 || pValue < 1e-3, "seed \(seed): fails with \(beyond) of \(v.count) rows beyond (p-value \(pValue)), slope z \(slope.z!)")
            }
            if abs(slope.z!) <= 4 && pValue >= 1e-3 { #expect(decision.verdict == .holds, "seed \(seed)") }
            // The verdict's sentence says the count and its chance.
            let sentence = decision.evidence[0].description
            #expect(sentence.contains("\(v.count - beyond) of \(v.count) `v` rows within 4 MCSE"))
            if beyond > 0 { #expect(sentence.contains("t with 5 degrees of freedom")) }
        }
        // The seeds exercise the case the old 99% rule got wrong: some row beyond 4 MCSE by chance.
        #expect(rowsBeyond.contains { $0 > 0 }, "\(rowsBeyond)")
        print("rows beyond 4 MCSE, seeds 1–5 at R = 6: \(rowsBeyond)")
    }
}

/// `check` says, for the claim a config's study tests, whether the config can decide it and, if
/// not, why.
struct CheckReadinessTests {
    func check(_ config: String) throws -> String {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("c.json")
        try Data(config.utf8).write(to: file)
        let result = try hessianStudy(["check", file.path])
        #expect(result.status == 0, "\(result.err)")
        return result.out
    }

    @Test func saysWhatIsMissingAndWhatRDoes() throws {
        let base = #""study": "sqrt-law", "seed": 1, "fixed": {"spectrum": [1, 2], "sigma": 1, "samples": 5"#
        let rotated = try check("{\(base), \"rotation\": \"haar\"}, \"replications\": 8}")
        #expect(rotated.contains("C2 Square-root law: cannot be decided: no cell has rotation \"none\" and alpha 0"))
        let flat = try check(#"{"study": "sqrt-law", "seed": 1, "replications": 8, "fixed": {"spectrum": [2, 2], "sigma": 1, "samples": 5}}"#)
        #expect(flat.contains("cannot be decided"), "one distinct eigenvalue gives no slope")
        let one = try check("{\(base)}, \"replications\": 1}")
        #expect(one.contains("C2 Square-root law: cannot be decided: with 1 replication no estimate has an MCSE"))
        // R = 6: P(|t₅| > 4) = 0.0103 > 1%; R = 7: 0.0071.
        let six = try check("{\(base)}, \"replications\": 6}")
        #expect(six.contains("C2 Square-root law: can be decided; but at R = 6 a single estimate lies beyond 4 MCSE of a correct theory by chance with probability 0.010 (R ≥ 7 brings it to 0.01 or less)"), "\(six)")
        let seven = try check("{\(base)}, \"replications\": 7}")
        #expect(seven.contains("C2 Square-root law: can be decided\n"))
        let gn = try check(#"{"study": "gauss-newton", "seed": 1, "replications": 8, "fixed": {"spectrum": [1, 2], "noise_sigma": 1, "samples": 5, "spread": 0.3}}"#)
        #expect(gn.contains("C4 Gauss–Newton law: cannot be decided: no cell has spread 0"))
    }
}
