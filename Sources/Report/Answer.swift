import MonteCarlo
import Reporting
import Studies

/// REPORT.md's opening paragraph: which law v follows under which conditions, and what β₂ does,
/// from the `dynamics` results (T5, T5′) and, where one was run, a rotated `sqrt-law` (T2).
enum Answer {
    /// The local exponents whose crossing T5′ locates: 1.1, 1.5 and 1.9.
    static let exponentLevels = [1.1, 1.5, 1.9]

    struct Findings {
        /// The `dynamics` file read (the one named like the study first), or nil when none is in the folder.
        var file: String?
        /// The largest β₂ run, at which the exponents are read.
        var beta2 = ""
        /// Fitted exponents of v on h below and above h_c (interval form), per optimizer.
        var sgd: Exponents?, rmsprop: Exponents?, adam: Exponents?
        /// T5′'s passage points h/h_c for each of ``exponentLevels``, RMSProp (L = 2) and Adam at the run's β₁.
        var passages: Passages?
        /// Adam's exponent above h_c at the largest β₂ of a second `dynamics` file (a wider spectrum).
        var wideAbove: Finding?
        /// Per β₂: the largest |√v/u − 1| over coordinates, RMSProp and Adam.
        var gaps: [(beta2: String, gap: Finding)] = []
        /// Whether a `sqrt-law` file with a rotated H is in the folder.
        var rotatedSqrtLaw = false
        /// The real-network findings (§5), where a `network` file is in the folder.
        var network: NetworkStudy.Findings?

        struct Exponents { var below: Finding, above: Finding }
        struct Passages {
            var beta1: String
            var levels: [Finding], rmsprop: [Finding], adam: [Finding], rmspropSpan: Finding, adamSpan: Finding
        }
    }

    static func findings(dynamics files: [StudyResults], rotatedSqrtLaw: Bool, network: [StudyResults] = []) -> Findings {
        var f = Findings(rotatedSqrtLaw: rotatedSqrtLaw, network: NetworkStudy.findings(network))
        guard let d = files.first else { return f }
        f.file = d.name
        let betas = d.values(of: "beta2")
        f.beta2 = betas.last ?? ""
        func exponents(_ results: StudyResults, _ optimizer: String, _ beta2: String) -> Findings.Exponents? {
            guard let below = results.scalar("exponent_below", ["optimizer": optimizer, "beta2": beta2]),
                  let above = results.scalar("exponent_above", ["optimizer": optimizer, "beta2": beta2]) else { return nil }
            return .init(below: Finding(below, form: .estimate), above: Finding(above, form: .estimate))
        }
        (f.sgd, f.rmsprop, f.adam) = (exponents(d, "sgd", f.beta2), exponents(d, "rmsprop", f.beta2), exponents(d, "adam", f.beta2))
        if f.rmsprop != nil, f.adam != nil, let cell = d.config?.cells.first {
            let beta1 = cell[Dynamics.beta1], adamLimit = 2 * (1 + beta1) / (1 - beta1)
            func at(_ L: Double) -> [Finding] { exponentLevels.map { .derived(NoisyQuadratic.exponentPassage($0, limit: L), digits: 2) } }
            func span(_ L: Double) -> Finding {
                .derived(NoisyQuadratic.exponentPassage(exponentLevels.last!, limit: L) / NoisyQuadratic.exponentPassage(exponentLevels.first!, limit: L), digits: 2)
            }
            f.passages = .init(beta1: format(beta1), levels: exponentLevels.map { .derived($0, digits: 2) },
                               rmsprop: at(2), adam: at(adamLimit), rmspropSpan: span(2), adamSpan: span(adamLimit))
        }
        if let wide = files.dropFirst().first, let b = wide.values(of: "beta2").last {
            f.wideAbove = wide.scalar("exponent_above", ["optimizer": "adam", "beta2": b]).map { Finding($0) }
        }
        f.gaps = betas.compactMap { b in
            let worst = ["rmsprop", "adam"].flatMap { d.rows("sqrt_v_gap", ["optimizer": $0, "beta2": b]) }.max { abs($0.estimate) < abs($1.estimate) }
            return worst.map { (b, Finding.percent($0.estimate, mcse: $0.mcse)) }
        }
        return f
    }

    static func render(_ f: Findings) -> Prose {
        guard f.file != nil else {
            return "The `dynamics` study has not been run, so the headline question is open; see the claims below."
        }
        func both(_ e: Findings.Exponents) -> Prose { "\(e.below) below h_c and \(e.above) above" }
        var text: Prose = "**Answer.** Which law Adam's v follows is decided by where the iterate sits, not by the optimizer's name."
        if let sgd = f.sgd {
            text += " Under SGD v follows the Gauss–Newton law (C4: v ∝ h, exponents \(both(sgd))) although θ − θ* is nearly isotropic: the gradient noise, not the spread of θ, dominates E[g²]."
        }
        if let rms = f.rmsprop, let adam = f.adam {
            text += " Under RMSProp and Adam, v passes gradually from the Gauss–Newton law (C4: v ∝ h) at small curvature to the square-root law (C2: v ∝ h², √v ∝ h) at large, where the preconditioned curvature ηh/√v̂ approaches the stability limit L; the fitted exponents are, at β₂ = \(label: f.beta2), RMSProp \(both(rms)) and Adam \(both(adam)) (\(formula: "h_c = 4L²σₙ²/(Bη²)"))."
        }
        if let p = f.passages {
            text += " By T5′ the fixed point's local exponent d log v/d log h passes \(Prose.joined(p.levels.map { "\($0)" })) at h/h_c = \(Prose.joined(p.rmsprop.map { "\($0)" })) for RMSProp and \(Prose.joined(p.adam.map { "\($0)" })) for Adam (β₁ = \(label: p.beta1)): the passage spans \(p.rmspropSpan)× in curvature for RMSProp and \(p.adamSpan)× for Adam."
        }
        if let wide = f.wideAbove {
            text += " Over a wider spectrum Adam's exponent reaches \(wide) above h_c, on its way to \(formula: "2")."
        }
        if !f.gaps.isEmpty {
            text += " β₂ decides whether this picture holds: the largest gap \(formula: "√v/u − 1") over coordinates (RMSProp and Adam) to the β₂ → \(formula: "1") fixed point is " + Prose.joined(f.gaps.map { "\($0.gap) at β₂ = \(label: $0.beta2)" }) + "."
        }
        if let n = f.network {
            text += " In real training (the `network` study: Adam on digits and diabetes), v̂ follows the expected square of a minibatch gradient at the final θ, M_B, in \(Finding.count(n.following)) of \(Finding.count(n.cells.count)) cells and exceeds it by more than a factor \(formula: "2") in \(Finding.count(n.cells.filter(\.remembers).count)); the square-root law's diagonal form fits " + (n.cells.contains(where: \.diagonalFormFits) ? "some." : "none.")
        }
        if f.rotatedSqrtLaw {
            text += " The square-root law is exact only under its own assumption, isotropic δ around θ* with diagonal H (C2); with a rotated H, Adam's diagonal √v̂ measures row norms of H, not its diagonal."
        }
        return text
    }
}
