import Foundation
import GSL
import Report
import Testing

/// The committed results/ are what the committed configs produce, and they show what the issues
/// ask of them.
struct CommittedResultsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Re-running the quick profile (studies/quick/) reproduces results/quick/*.csv: byte for byte
    /// on the machine that made them, elsewhere to rounding (``ResultComparison``). A golden
    /// comparison: it catches changes, not bugs. (The full profile is compared the same way by
    /// `make study-check`, which CI runs.)
    @Test func quickProfileReproducesCommittedCSVs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("studies/quick").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        let committed = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("results/quick").path)
            .filter { $0.hasSuffix(".csv") }.sorted()
        #expect(configs.map { $0.dropLast(5) } == committed.map { $0.dropLast(4) }, "one committed table per quick config")
        let result = try hessianStudy(["run"] + configs.map { Self.root.appendingPathComponent("studies/quick/\($0)").path } + ["--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.err)")
        for config in configs {
            let name = String(config.dropLast(5)) + ".csv"
            let fresh = try Data(contentsOf: folder.appendingPathComponent(name))
            let committed = try Data(contentsOf: Self.root.appendingPathComponent("results/quick/\(name)"))
            let outcome = try ResultComparison.compare(expected: Array(committed), actual: Array(fresh))
            #expect(outcome.reproduces, "results/quick/\(name) against a re-run of studies/quick/\(config): \(outcome)")
        }
    }

    /// Every CSV: at least 99% of the rows with an exact theory within 4 MCSE (`theory_kind`
    /// decides which rows are z-tested); in `dynamics`, whose RMSProp and Adam rows have the
    /// β₂ → 1 fixed point as a limit, v is within 2% of it at β₂ = 0.9999.
    @Test func committedResultsAgreeWithTheory() throws {
        let folder = Self.root.appendingPathComponent("results")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".csv") {
            let rows = try readCSV(folder.appendingPathComponent(file))
            let scored = rows.filter { $0["theory_kind"] == "exact" }.compactMap { row -> Double? in
                guard let e = Double(row["estimate"] ?? ""), let m = Double(row["mcse"] ?? ""), let t = Double(row["theory"] ?? ""), m > 0 else { return nil }
                return abs(e - t) / m
            }
            // The report's rule, recomputed here: the rows beyond 4 MCSE are no more than chance
            // puts there at the file's smallest R (a binomial tail ≥ 10⁻³).
            let beyond = scored.filter { $0 > 4 }.count
            let smallestR = rows.compactMap { Int($0["replications"] ?? "") }.min() ?? 2
            let p = StudentT.twoSidedTail(4, degreesOfFreedom: smallestR - 1)
            #expect(Binomial.upperTail(atLeast: beyond, trials: scored.count, probability: p) >= 1e-3,
                    "\(file): \(beyond) of \(scored.count) rows beyond 4 MCSE at R = \(smallestR)")
            #expect(rows.allSatisfy { ["exact", "limit", ""].contains($0["theory_kind"]) && ($0["theory_kind"] == "") == ($0["theory"] == "") })
            let nearOne = rows.filter { $0["theory_kind"] == "limit" && $0["beta2"] == "0.9999" && $0["quantity"] == "v" }
            if file == "dynamics.csv" { #expect(nearOne.count > 0) }
            for row in nearOne {
                let gap = abs(Double(row["estimate"]!)! / Double(row["theory"]!)! - 1)
                #expect(gap < 0.02, "\(row)")
            }
        }
    }

    /// Every NAME.md and REPORT.md prints numbers through the one formatter (EstimateText): each
    /// "estimate ± mcse" has an MCSE of at most two significant digits and an estimate to the same
    /// decimal place, and no C-style exponent ("3.089e-06") appears.
    @Test func tablesUseTheOneFormatter() throws {
        let pair = try Regex(#"(-?[0-9]+(?:\.([0-9]+))?) ± ([0-9]+(?:\.([0-9]+))?)"#)
        for folder in ["results", "results/quick"] {
            let url = Self.root.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".md") {
                let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
                #expect(text.firstMatch(of: try Regex(#"[0-9]e[-+][0-9]"#)) == nil, "\(folder)/\(file): a C-style exponent")
                for match in text.matches(of: pair) {
                    let estimateDecimals = match.output[2].substring?.count ?? 0
                    let mcse = String(match.output[3].substring ?? "")
                    let mcseDecimals = match.output[4].substring?.count ?? 0
                    let significant = mcse.filter(\.isNumber).drop { $0 == "0" }.count
                    #expect(significant <= 2 && estimateDecimals == mcseDecimals, "\(folder)/\(file): \(match.output[0].substring ?? "")")
                }
            }
        }
    }
}

/// The summaries recomputed independently from `--per-replication`'s long file: the mean, the
/// sample sd (divisor R − 1) and the MCSE sd/√R of every mean output, and the ratio of means with
/// its delta-method MCSE for h_c, by two-pass sums in this test, not the engine's GSL calls.
struct PerReplicationTests {
    @Test func everyEstimateAndMCSEIsRecomputedFromTheReplications() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = packageRoot.appendingPathComponent("studies/quick/gauss-newton.json").path
        #expect(try hessianStudy(["run", config, "--out", folder.path, "--quiet", "--per-replication"]).status == 0)
        let rows = try readCSV(folder.appendingPathComponent("gauss-newton.csv"))
        var values: [String: [Double]] = [:]
        for row in try readCSV(folder.appendingPathComponent("gauss-newton.replications.csv")) {
            values["\(row["cell"]!)|\(row["quantity"]!)|\(row["index"]!)", default: []].append(Double(row["value"]!)!)
        }
        func moments(_ x: [Double]) -> (mean: Double, sd: Double) {
            let mean = x.reduce(0, +) / Double(x.count)
            return (mean, (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count - 1)).squareRoot())
        }
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300) }
        var checked = 0
        for row in rows where row["note"] == "" {
            let key = "\(row["cell"]!)|\(row["quantity"]!)|\(row["index"]!)"
            let estimate = Double(row["estimate"]!)!, mcse = Double(row["mcse"]!)!, r = Double(row["replications"]!)!
            if let x = values[key] {
                let (mean, sd) = moments(x)
                #expect(Int(r) == x.count && close(estimate, mean) && close(mcse, sd / r.squareRoot()) && close(Double(row["sd"]!)!, sd), "\(key)")
            } else {
                // h_c = c̄/ā: the delta method √((s_c² − 2ρ s_ca + ρ² s_a²)/R)/|ā|, ρ = c̄/ā.
                #expect(row["quantity"] == "h_c", "\(key) has no replications")
                let a = values["\(row["cell"]!)|sqrt_coefficient|"]!, c = values["\(row["cell"]!)|gn_coefficient|"]!
                let (ma, sa) = moments(a), (mc, sc) = moments(c), ratio = mc / ma
                let covariance = zip(a, c).map { ($0 - ma) * ($1 - mc) }.reduce(0, +) / (r - 1)
                let delta = ((sc * sc - 2 * ratio * covariance + ratio * ratio * sa * sa) / r).squareRoot() / abs(ma)
                #expect(close(estimate, ratio) && abs(mcse - delta) <= 1e-9 * delta, "\(key): \(mcse) against \(delta)")
                // A ratio's sd is the delta method's: mcse·√R.
                #expect(abs(Double(row["sd"]!)! - delta * r.squareRoot()) <= 1e-9 * delta * r.squareRoot(), "\(key): sd")
            }
            checked += 1
        }
        #expect(checked == rows.filter { $0["note"] == "" }.count && checked > 200)
    }
}
