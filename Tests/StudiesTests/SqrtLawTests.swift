import Foundation
import GSL
import MonteCarlo
import Studies
import Testing

/// The sqrt-law study against T1 and T2 of docs/SCIENCE.md.
///
/// Bounds: with R replications z = (estimate − theory)/mcse follows Student's t with R − 1
/// degrees of freedom when the MCSE is honest. At R = 40, P(|t₃₉| > 4.5) ≈ 6e-5 per row, so a
/// bound of 4.5 on each of the ~100 rows below fails falsely with probability below 1%; the
/// seeds are fixed, so a test either always passes or always fails.
struct SqrtLawTests {
    static let bound = 4.5

    /// T1: E[gᵢ²] = σ²hᵢ^(2−α), and the log-log slope is 2 − α, for α from the source's 0 to
    /// Gibbs' 1 and beyond.
    @Test func diagonalHessianFollowsT1() throws {
        let (_, results) = try run("""
            {"study": "sqrt-law", "seed": 11, "replications": 40,
             "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 8}, "sigma": 0.7, "samples": 2000},
             "grid": {"alpha": [0, 0.5, 1, 2]}}
            """)
        for result in results {
            let v = estimates(result, "v")
            #expect(v.count == 8)
            for e in v { #expect(abs(z(e)) < Self.bound, "cell \(result.cell.index) v[\(e.output.index!)]: z = \(z(e))") }
            let slope = try #require(estimates(result, "slope").first)
            #expect(slope.output.theory.value == 2 - result.cell[SqrtLaw.alpha])
            #expect(abs(z(slope)) < Self.bound, "slope z = \(z(slope))")
        }
    }

    /// T2: with H = QΛQᵀ, diag E[ggᵀ] = σ²·diag(H²) ≥ σ²·(diag H)² (strictly, for a generic Q);
    /// the diagonal √v̂ misses diag H while the full matrix's square root recovers H.
    @Test func rotatedHessianFollowsT2() throws {
        let (_, results) = try run("""
            {"study": "sqrt-law", "seed": 12, "replications": 40,
             "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 8}, "sigma": 0.5, "samples": 4000, "rotation": "haar"}}
            """)
        let result = results[0]
        for quantity in ["v", "v_over_diag_law", "slope"] {
            for e in estimates(result, quantity) {
                #expect(abs(z(e)) < Self.bound, "\(quantity)[\(e.output.index ?? -1)]: z = \(z(e))")
            }
        }
        // Cauchy–Schwarz: (H²)ᵢᵢ = Σⱼ Hᵢⱼ² > Hᵢᵢ² once the rotation mixes coordinates.
        for e in estimates(result, "v_over_diag_law") { #expect(e.output.theory.value! > 1) }
        let full = try #require(estimates(result, "recovery_error_full").first)
        let diagonal = try #require(estimates(result, "recovery_error_diag").first)
        // Without sampling noise Adam's view √vᵢ/σ = √((H²)ᵢᵢ) misses Hᵢᵢ = √(vᵢ/ratioᵢ)/σ by a
        // fixed amount, read off the theory columns; sampling adds only about 1/(2√n) = 0.008 in
        // quadrature at n = 4000. The full matrix's error is that sampling error alone, O(√(d/n)).
        let v = estimates(result, "v").map { $0.output.theory.value! }, ratio = estimates(result, "v_over_diag_law").map { $0.output.theory.value! }
        let diagonalH = zip(v, ratio).map { ($0 / $1).squareRoot() }
        let noiseless = (zip(v, diagonalH).map { ($0.squareRoot() - $1) * ($0.squareRoot() - $1) }.reduce(0, +)
            / diagonalH.map { $0 * $0 }.reduce(0, +)).squareRoot()
        #expect(noiseless > 0.1, "the rotation mixes coordinates: \(noiseless)")
        #expect(abs(diagonal.estimate - noiseless) < 0.02, "\(diagonal.estimate) against the noiseless \(noiseless)")
        #expect(full.estimate + 4 * full.mcse! < 0.1)
    }

    /// The full-matrix recovery error is sampling error only: it shrinks as 1/√n, so four times
    /// the samples halve it. The ratio's MCSE comes from both estimates (delta method).
    @Test func fullMatrixRecoveryErrorShrinksAsOneOverRootN() throws {
        let (_, results) = try run("""
            {"study": "sqrt-law", "seed": 13, "replications": 40,
             "fixed": {"spectrum": {"min": 0.5, "max": 2, "count": 6}, "sigma": 1, "rotation": "haar"},
             "grid": {"samples": [4000, 16000]}}
            """)
        let e1 = try #require(estimates(results[0], "recovery_error_full").first)
        let e4 = try #require(estimates(results[1], "recovery_error_full").first)
        let ratio = e4.estimate / e1.estimate
        let se = ratio * ((e1.mcse! / e1.estimate) * (e1.mcse! / e1.estimate) + (e4.mcse! / e4.estimate) * (e4.mcse! / e4.estimate)).squareRoot()
        #expect(abs(ratio - 0.5) < Self.bound * se, "ratio \(ratio) ± \(se)")
    }

    /// An honest MCSE: over 192 rows with known theory, z has mean ≈ 0 and sd ≈ 1 (Student's
    /// t₃₉ has sd √(39/37) = 1.027). With n = 192 the sd of the sample mean is 0.072 and of the
    /// sample sd about 0.053; bounds of 4 of those (false failure rate about 1e-4 each).
    @Test func mcseIsHonestAcrossManyCells() throws {
        let (_, results) = try run("""
            {"study": "sqrt-law", "seed": 14, "replications": 40,
             "fixed": {"spectrum": {"min": 0.05, "max": 20, "count": 16}, "samples": 500},
             "grid": {"sigma": [0.3, 1, 3], "alpha": [0, 0.5, 1, 1.5]}}
            """)
        let zs = results.flatMap { estimates($0, "v").map(z) }
        #expect(zs.count == 192)
        let mean = zs.reduce(0, +) / Double(zs.count)
        let sd = (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(zs.count - 1)).squareRoot()
        #expect(abs(mean) < 4 * 1.027 / Double(zs.count).squareRoot(), "mean z = \(mean)")
        #expect(abs(sd - 1.027) < 4 * 0.053, "sd z = \(sd)")
    }

    /// The CSV depends only on the config: the same bytes for 1, 2 and 3 workers, on both paths.
    @Test func resultsDoNotDependOnThreadCount() throws {
        let text = """
            {"study": "sqrt-law", "seed": 15, "replications": 7,
             "fixed": {"spectrum": {"min": 0.1, "max": 10, "count": 12}, "sigma": 0.5, "samples": 300},
             "grid": {"rotation": ["none", "haar"], "alpha": [0, 1]}}
            """
        let csvs = try [1, 2, 3].map { threads in
            let (config, results) = try run(text, threads: threads)
            return ResultFiles(config: config, results: results).csv
        }
        #expect(csvs[0] == csvs[1])
        #expect(csvs[0] == csvs[2])
    }

    /// The two evaluations of Ê (FullSecondMoment): Σ (Mz)(Mz)ᵀ/n and M·(Σ z·zᵀ)·M/n are the same
    /// sum, so they agree to rounding. A dot product of length k is exact to k·u·Σ|aₖbₖ| (Higham
    /// §3.1); each entry passes through at most n + 2d such terms, and Σ|aₖbₖ| ≤ d·√(ÊᵢᵢÊⱼⱼ)
    /// loosely (Cauchy–Schwarz with |M| in place of M), so the bound is 2(n + 2d)·u·d·√(ÊᵢᵢÊⱼⱼ).
    @Test(arguments: [(16, 600), (16, 20), (40, 1000)])
    func factoredAndDirectSecondMomentsAgree(d: Int, samples: Int) throws {
        let stream = try RandomStream(seed: 21)
        let m = try Matrix(rows: d, columns: d), x = try Matrix(rows: d, columns: d)
        stream.fillGaussian(x)
        try BLAS.gemm(1, x, x, transposeB: true, 0, m)  // symmetric, as σH^(1−α/2) is
        let estimates = try [true, false].map { factored in
            try FullSecondMoment(factor: m, samples: samples, factored: factored).estimate(try RandomStream(seed: 22)).copy()
        }
        let u = Double.ulpOfOne / 2
        for i in 0..<d {
            for j in 0..<d {
                let scale = (estimates[1][i, i] * estimates[1][j, j]).squareRoot()
                let bound = 2 * Double(samples + 2 * d) * u * Double(d) * scale
                #expect(abs(estimates[0][i, j] - estimates[1][i, j]) <= bound, "Ê[\(i), \(j)]")
            }
        }
    }

    /// Any replication can be re-run alone: the replications re-run one by one average to the
    /// run's estimate, bit for bit.
    @Test func aReplicationReRunAloneGivesTheSameNumbers() throws {
        let text = """
            {"study": "sqrt-law", "seed": 16, "replications": 3,
             "fixed": {"spectrum": [0.5, 2, 8], "sigma": 1, "samples": 200, "rotation": "haar"}}
            """
        let (config, results) = try run(text)
        let runner = Runner(config: config, threads: 1)
        let alone = try (0..<3).map { try runner.replicate(cell: 0, replication: $0) }
        for (k, estimate) in results[0].estimates.enumerated() {
            let values = alone.map { $0[k].estimate }
            let mean = values.withUnsafeBufferPointer { Statistics.mean($0, count: 3) }
            #expect(mean == estimate.estimate)
        }
    }
}
