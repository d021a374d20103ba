import Foundation
import MonteCarlo
import Reporting

/// What `dynamics` files beyond the diagonal noisy quadratic model add to claims other studies
/// decide: a rotated H (T8) to C2, noise decoupled from H (T10) and the batch size (T5) to C4.
extension Dynamics {
    /// Whether every cell of `r` runs the diagonal model with noise along H (rotation none, noise
    /// hessian): the files C1 and the answer read. A file without a config counts as diagonal.
    static func isDiagonal(_ r: StudyResults) -> Bool {
        r.config?.cells.allSatisfy { $0[rotation] == .none && $0[noise] == .hessian } ?? true
    }

    /// The diagonal files among `files` (``isDiagonal(_:)``): the first as given (the one named like
    /// the study, when there is one), then the rest by the span of their spectrum, widest first,
    /// so that a rule reading a second file reads the widest run.
    public static func diagonalFiles(_ files: [StudyResults]) -> [StudyResults] {
        let diagonal = files.filter(isDiagonal)
        guard let first = diagonal.first else { return [] }
        func span(_ r: StudyResults) -> Double {
            guard let h = Figure.spectrum(r, spectrum), let lo = h.min(), let hi = h.max(), lo > 0 else { return 0 }
            return hi / lo
        }
        return [first] + diagonal.dropFirst().sorted { span($0) > span($1) }
    }

    public static func contributions(_ files: [StudyResults]) -> [Claim: [Prose]] {
        var added: [Claim: [Prose]] = [:]
        for (k, r) in diagonalFiles(files).enumerated() {
            added[.c4, default: []] += exponentEvidence(r) + (k == 0 ? passageEvidence(r) : [])
            added[.c3, default: []] += gapEvidence(r)
        }
        for r in files where r.config?.cells.contains(where: { $0[rotation] == .haar }) == true {
            added[.c2, default: []] += rotatedEvidence(r)
        }
        for r in files where !isDiagonal(r) && r.config?.cells.allSatisfy({ $0[rotation] == .none }) == true {
            added[.c4, default: []] += noiseEvidence(r)
        }
        return added
    }

    /// T8 in a rotated file, at its largest β₂: per adaptive optimizer and noise, the worst gap of
    /// √v to the fixed point and the preconditioned sharpness against T8 and the edge; for Adam,
    /// which diagonal v is proportional to, and Cov(δ)'s shape.
    static func rotatedEvidence(_ r: StudyResults) -> [Prose] {
        guard let top = r.values(of: beta2).max() else { return [] }
        var lines: [Prose] = []
        for shape in r.values(of: noise) {
            for name in [Optimizer.rmsprop, .adam] {
                let grid = [optimizer.is(name), beta2.is(top), noise.is(shape)]
                guard let cell = r.config?.cells.first(where: { $0[optimizer] == name }) else { continue }
                let gaps = r.rows(Quantities.sqrtVGap, matching: grid)
                let sharpness = r.scalar(Quantities.preconditionedSharpness, matching: grid)
                guard let worst = gaps.max(by: { abs($0.estimate) < abs($1.estimate) }) else {
                    if !r.rows(Quantities.v, matching: grid).isEmpty {
                        lines.append("Rotated H in \(code: r.name), \(label: name.rawValue), noise \(label: shape.rawValue), β₂ = \(label: format(top)): T8's fixed-point iteration found no fixed point, so this cell has no gap to report.")
                    }
                    continue
                }
                var line: Prose = "Rotated H in \(code: r.name), \(label: name.rawValue), noise \(label: shape.rawValue), β₂ = \(label: format(top)): the largest gap √v/u − \(formula: "1") to T8's fixed point over coordinates is \(Finding.percent(worst.estimate, mcse: worst.mcse))"
                if let sharpness { line += "; preconditioned sharpness \(sharpness) against the edge \(Finding.derived(stabilityLimit(cell)))" }
                lines.append(line + ".")
                if name == .adam { lines += predictors(r, grid) }
            }
        }
        return lines
    }

    /// Which diagonal v is proportional to (the sd over coordinates of log(v/p), 0 when v ∝ p),
    /// and whether Cov(δ) has the shape of I or of P⁻¹, in one rotated cell.
    static func predictors(_ r: StudyResults, _ grid: [ParameterCondition]) -> [Prose] {
        var lines: [Prose] = []
        if let squared = r.scalar(Quantities.spreadHessianSquared, matching: grid), let diagonal = r.scalar(Quantities.spreadDiagonalSquared, matching: grid),
           let noise = r.scalar(Quantities.spreadNoise, matching: grid) {
            let options: [(Double, Prose)] = [(squared.estimate, "diag(H²), the square-root law's full form"), (diagonal.estimate, "diag(H)², its diagonal form"),
                                              (noise.estimate, "diag(C/B), the noise")]
            let closest = options.min { $0.0 < $1.0 }!.1
            lines.append("There, the spread of log(v/p) over coordinates (\(formula: "0") when v ∝ p) is \(squared) for p = diag(H²), \(diagonal) for diag(H)² and \(noise) for diag(C/B): v is closest to proportional to \(closest).")
        }
        if let identity = r.scalar(Quantities.covDistanceIdentity, matching: grid), let preconditioner = r.scalar(Quantities.covDistancePreconditioner, matching: grid) {
            let mcse = max(identity.mcse ?? 0, preconditioner.mcse ?? 0)
            let verdict: Prose = abs(identity.estimate - preconditioner.estimate) <= agreementBound * mcse
                ? "the two are not told apart at \(Finding.bound) MCSE"
                : (preconditioner.estimate < identity.estimate ? "closer to P⁻¹'s shape than to isotropy (C2's assumption)" : "closer to isotropy (C2's assumption) than to P⁻¹'s shape")
            lines.append("Cov(δ)'s shape lies at distance \(identity) from I and \(preconditioner) from P⁻¹: " + verdict + ".")
        }
        return lines
    }

    /// T10 and T5 in a file with decoupled noise: the exponents below and above h_c per γ, and
    /// the midway passage per batch size.
    static func noiseEvidence(_ r: StudyResults) -> [Prose] {
        var lines: [Prose] = []
        for name in [Optimizer.sgd, .rmsprop, .adam] {
            let gammas = r.values(of: noisePower)
            if gammas.count > 1 {
                let pairs: [Prose] = gammas.compactMap { g in
                    let below = r.scalar(Quantities.exponentBelow, optimizer.is(name), noisePower.is(g))
                    let above = r.scalar(Quantities.exponentAbove, optimizer.is(name), noisePower.is(g))
                    guard below != nil || above != nil else { return nil }
                    return "γ = \(label: format(g)): " + (below.map { "\($0) below" } ?? "none below") + ", " + (above.map { "\($0) above" } ?? "none above")
                }
                if !pairs.isEmpty {
                    lines.append("Noise \(formula: "C = σₙ²H^γ") in \(code: r.name), \(label: name.rawValue): exponents of v on h " + Prose.joined(pairs, separator: "; ") + " (T10: γ below h_c, \(formula: "2") above).")
                }
            }
            let passages = r.values(of: batch).compactMap { b in r.scalar(Quantities.passage, optimizer.is(name), batch.is(b)).map { (b, $0) } }
            if passages.count > 1 {
                let scaled = passages.map { b, row in row.estimate * Double(b) }
                let list = Prose.joined(passages.map { "\($0.1) at B = \(label: String($0.0))" })
                var line: Prose = "Batch size in \(code: r.name), \(label: name.rawValue): v's exponent passes midway at h = " + list
                if let lo = scaled.min(), let hi = scaled.max(), lo > 0 {
                    line += "; B times the passage runs from \(Finding.derived(lo, digits: 3)) to \(Finding.derived(hi, digits: 3)), a spread of \(Finding.percent(hi / lo - 1)) (T5: \(formula: "h_c ∝ 1/B"))"
                }
                lines.append(line + ".")
            }
        }
        return lines
    }
}
