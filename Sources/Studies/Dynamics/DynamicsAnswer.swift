import MonteCarlo
import Reporting

/// What the diagonal noisy quadratic model says of the headline question: which law v follows
/// for SGD and for the adaptive methods, below and above h_c (T5, T5′), and how β₂ moves it; the
/// answer's rows, and the sentences it adds to C3 and C4.
extension Dynamics {
    /// The local exponents whose crossing T5′ locates: 1.1, 1.5 and 1.9.
    static let exponentLevels = [1.1, 1.5, 1.9]
    /// How far a fitted exponent of v on h may be from a law's (1 or 2) and still be called that law.
    public static let lawTolerance = 0.1

    /// The fitted exponents of v on h below and above h_c, for `name` at β₂ = `b`.
    static func exponents(_ r: StudyResults, _ name: Optimizer, _ b: Double) -> (below: ResultRow, above: ResultRow)? {
        guard let below = r.scalar(Quantities.exponentBelow, optimizer.is(name), beta2.is(b)),
              let above = r.scalar(Quantities.exponentAbove, optimizer.is(name), beta2.is(b)) else { return nil }
        return (below, above)
    }

    /// The law an exponent of v on h decides: the Gauss–Newton law within ``lawTolerance`` of 1,
    /// the square-root law within it of 2, between the two otherwise.
    public static func law(_ exponent: Double) -> Prose {
        if abs(exponent - 1) <= lawTolerance { return "the Gauss–Newton law" }
        if abs(exponent - 2) <= lawTolerance { return "the square-root law" }
        return exponent > 1 && exponent < 2 ? "between the two laws" : "neither law"
    }

    /// The laws of several exponents, each labelled by whose it is, said once when they agree:
    /// "the square-root law (RMSProp); between the two laws (Adam)".
    static func laws(_ exponents: [(who: Prose, exponent: Double)]) -> Prose {
        let decided = exponents.map { (who: $0.who, law: law($0.exponent)) }
        if Set(decided.map(\.law.description)).count == 1, let first = decided.first { return first.law }
        return Prose.joined(decided.map { "\($0.law) (\($0.who))" }, separator: "; ")
    }

    /// The answer's rows from the main diagonal set, at its largest β₂: SGD's law, the adaptive
    /// methods' below and above h_c, and the gap to the β₂ → 1 fixed point across β₂.
    public static func answer(_ files: [StudyResults]) -> [RegimeLaw] {
        guard let d = diagonalFiles(files).first, let top = d.values(of: beta2).last else { return [] }
        var rows: [RegimeLaw] = []
        let at: Prose = "β₂ = \(label: format(top))"
        if let sgd = exponents(d, .sgd, top) {
            rows.append(RegimeLaw("SGD, every h", law: laws([("below h_c", sgd.below.estimate), ("above h_c", sgd.above.estimate)]),
                                  measured: "exponent of v on h \(RegimeLaw.brief(sgd.below.estimate)) below h_c, \(RegimeLaw.brief(sgd.above.estimate)) above", claim: .c4))
        }
        if let rms = exponents(d, .rmsprop, top), let adam = exponents(d, .adam, top) {
            rows.append(RegimeLaw("RMSProp and Adam, h below h_c (\(at))", law: laws([("RMSProp", rms.below.estimate), ("Adam", adam.below.estimate)]),
                                  measured: "exponents \(RegimeLaw.brief(rms.below.estimate)) (RMSProp), \(RegimeLaw.brief(adam.below.estimate)) (Adam)", claim: .c4))
            rows.append(RegimeLaw("RMSProp and Adam, h above h_c (\(at))", law: laws([("RMSProp", rms.above.estimate), ("Adam", adam.above.estimate)]),
                                  measured: "exponents \(RegimeLaw.brief(rms.above.estimate)) (RMSProp), \(RegimeLaw.brief(adam.above.estimate)) (Adam)", claim: .c2))
        }
        let gaps = gapsByBeta2(d)
        if let loosest = gaps.first, let tightest = gaps.last, gaps.count > 1 {
            rows.append(RegimeLaw("β₂ from \(label: loosest.beta2) to \(label: tightest.beta2)", law: abs(tightest.gap.estimate) < abs(loosest.gap.estimate)
                                      ? "the β₂ → \(formula: "1") fixed point, more closely as β₂ grows" : "the β₂ → \(formula: "1") fixed point, no more closely as β₂ grows",
                                  measured: "largest gap \(formula: "√v/u − 1") \(RegimeLaw.briefPercent(abs(loosest.gap.estimate))) to \(RegimeLaw.briefPercent(abs(tightest.gap.estimate)))", claim: .c3))
        }
        return rows
    }

    /// Per β₂: the largest |√v/u − 1| over coordinates, RMSProp and Adam.
    static func gapsByBeta2(_ d: StudyResults) -> [(beta2: String, gap: ResultRow)] {
        d.values(of: beta2).compactMap { b in
            let worst = [Optimizer.rmsprop, .adam].flatMap { d.rows(Quantities.sqrtVGap, optimizer.is($0), beta2.is(b)) }
                .max { abs($0.estimate) < abs($1.estimate) }
            return worst.map { (format(b), $0) }
        }
    }

    /// C3's sentence: the gap to the β₂ → 1 fixed point at each β₂.
    static func gapEvidence(_ d: StudyResults) -> [Prose] {
        let gaps = gapsByBeta2(d)
        guard !gaps.isEmpty else { return [] }
        return ["In \(code: d.name), β₂ decides how closely v sits at its β₂ → \(formula: "1") fixed point u (T5): the largest gap \(formula: "√v/u − 1") over coordinates (RMSProp and Adam) is "
            + Prose.joined(gaps.map { "\(Finding.percent($0.gap.estimate, mcse: $0.gap.mcse)) at β₂ = \(label: $0.beta2)" }) + "."]
    }

    /// C4's sentences: SGD's and the adaptive methods' exponents at the largest β₂.
    static func exponentEvidence(_ d: StudyResults) -> [Prose] {
        guard let top = d.values(of: beta2).last else { return [] }
        var lines: [Prose] = []
        func both(_ e: (below: ResultRow, above: ResultRow)) -> Prose { "\(e.below) below h_c and \(e.above) above" }
        if let sgd = exponents(d, .sgd, top) {
            lines.append("In \(code: d.name), SGD: exponents of v on h \(both(sgd)): the gradient noise, not the spread of θ, dominates E[g²].")
        }
        if let rms = exponents(d, .rmsprop, top), let adam = exponents(d, .adam, top) {
            lines.append("In \(code: d.name) at β₂ = \(label: format(top)), v passes from the Gauss–Newton side at small curvature towards the square-root law at large, where \(formula: "ηh/√v̂") approaches the stability limit L: RMSProp \(both(rms)), Adam \(both(adam)) (\(formula: "h_c = 4L²σₙ²/(Bη²)")).")
        }
        return lines
    }

    /// C4's sentence on where T5′ puts the passage between the laws, at the set's β₁.
    static func passageEvidence(_ d: StudyResults) -> [Prose] {
        var lines: [Prose] = []
        if let cell = d.config?.cells.first(where: { $0[optimizer] == .adam }) {
            let adamLimit = stabilityLimit(cell)
            func at(_ L: Double) -> Prose { Prose.joined(exponentLevels.map { "\(Finding.derived(NoisyQuadratic.exponentPassage($0, limit: L), digits: 2))" }) }
            func span(_ L: Double) -> Finding {
                .derived(NoisyQuadratic.exponentPassage(exponentLevels.last!, limit: L) / NoisyQuadratic.exponentPassage(exponentLevels.first!, limit: L), digits: 2)
            }
            let levels = Prose.joined(exponentLevels.map { "\(Finding.derived($0, digits: 2))" })
            lines.append("By T5′ the fixed point's local exponent d log v/d log h passes \(levels) at h/h_c = \(at(2)) for RMSProp and \(at(adamLimit)) for Adam (β₁ = \(label: format(cell[beta1]))): the passage spans \(span(2))× in curvature for RMSProp and \(span(adamLimit))× for Adam.")
        }
        return lines
    }
}
