import Foundation
import MonteCarlo
import Reporting

/// docs/SCIENCE.md §5, decided from `network`: in real training, does Adam's v̂ measure the
/// minibatch gradient's second moment M_B at the final θ (the Gauss–Newton side), or the
/// square-root law's diag(H)², and how does β₂ move the answer?
///
/// The rules, per cell (one training set-up at one β₂), each on the 4-MCSE interval of an
/// estimate against a band, so that a cell is decided only by what its own numbers support:
/// - v̂ is at M_B's level when the interval of the mean of log₁₀(v̂ᵢ/M_B,ᵢ) lies inside
///   ±``levelBound`` (a factor 2), and off it when the interval lies outside (above: v̂ remembers
///   earlier, larger gradients);
/// - v̂ has M_B's shape when the interval of the slope of log v̂ on log M_B lies inside
///   1 ± ``slopeBound``, and not when it lies outside;
/// - v̂ follows M_B when it has both; it is decided against when either is off; the cell is
///   undecided otherwise (an interval across a band's edge: more replications would decide it);
/// - where every bin of v̂ has √v̂ ≤ ``epsilonMultiple``·ε, ε and not v̂ sets the step (training
///   has interpolated): such a cell is counted apart, whatever its numbers;
/// - the square-root law's diagonal form fits when the slope on |diag H| has its interval inside
///   2 ± ``slopeBound``.
/// The section holds when every decided cell follows M_B and the diagonal form fits none; holds in
/// a regime (the cells that follow, named by set-up and β₂) when some follow and some are decided
/// against; fails when cells are decided and none follows; is undecided when none is decided.
extension NetworkStudy {
    public static let claim: Claim? = .realNetworks

    /// A factor 2, in log₁₀: how far v̂'s mean level may sit from M_B's and still count as M_B's.
    public static let levelBound = log10(2.0)
    /// How far a log-log slope may be from the law's (1 on M_B, 2 on |diag H|) and still count as it.
    public static let slopeBound = 0.1
    /// T4 explains the spread of log₁₀(v̂/M_B) over coordinates when the measured spread is
    /// within this factor of T4's (with the measured kurtosis).
    public static let spreadFactor = 1.5
    /// √v̂ at or below this multiple of ε leaves the step to ε: 10.
    public static let epsilonMultiple = 10.0

    /// Where an estimate's 4-MCSE interval lies against a band: inside it, outside it (below or
    /// above), or across an edge (undecided).
    public enum Placement: Sendable, Equatable {
        case inside, below, above, across

        public init(_ f: Finding, _ band: ClosedRange<Double>) {
            let half = agreementBound * (f.mcse ?? 0)
            let (low, high) = (f.estimate - half, f.estimate + half)
            if low >= band.lowerBound && high <= band.upperBound { self = .inside }
            else if high < band.lowerBound { self = .below }
            else if low > band.upperBound { self = .above }
            else { self = .across }
        }
    }

    /// A cell's decision against M_B.
    public enum Standing: Sendable, Equatable {
        case follows, against, undecided, epsilonSetsTheStep
    }

    public struct Findings: Sendable {
        public var cells: [Cell]
        public struct Cell: Sendable {
            /// The results file, the cell's grid values other than β₂ (its set-up), its β₂, and
            /// whether it trains on the full batch (B = N).
            public var file: String
            public var setup: [(key: String, value: String)], beta2: String
            public var fullBatch: Bool
            public var slope: Finding?, r2: Finding?, logRatio: Finding
            public var spread: Finding?, t4Spread: Finding?
            public var diagonalSlope: Finding?
            public var wandering: Finding?, sharpness: Finding?, edge: Finding?, residual: Finding?

            /// The largest log₁₀ v̂ over the bins of M_B, and log₁₀ of (``epsilonMultiple``·ε)², where ε is known.
            public var largestLogV: Finding?, epsilonFloor: Double?

            public var level: Placement { Placement(logRatio, -levelBound...levelBound) }
            public var shape: Placement? { slope.map { Placement($0, (1 - slopeBound)...(1 + slopeBound)) } }
            public var remembers: Bool { level == .above }
            /// Whether every bin has √v̂ ≤ ``epsilonMultiple``·ε.
            public var epsilonSetsTheStep: Bool {
                guard let largestLogV, let epsilonFloor else { return false }
                return largestLogV.estimate <= epsilonFloor
            }
            public var standing: Standing {
                if epsilonSetsTheStep { return .epsilonSetsTheStep }
                let placements = [level] + (shape.map { [$0] } ?? [])
                if placements.contains(where: { $0 == .below || $0 == .above }) { return .against }
                return shape == .inside && level == .inside ? .follows : .undecided
            }
            public var follows: Bool { standing == .follows }
            public var diagonalFormFits: Bool { diagonalSlope.map { Placement($0, (2 - slopeBound)...(2 + slopeBound)) == .inside } ?? false }
            /// Whether T4 with the measured kurtosis gives the spread within ``spreadFactor``; nil without both.
            public var spreadExplained: Bool? {
                guard let spread, let t4Spread, t4Spread.estimate > 0 else { return nil }
                let ratio = spread.estimate / t4Spread.estimate
                return ratio <= spreadFactor && ratio >= 1 / spreadFactor
            }
            /// "digits, linear, full batch, β₂ = 0.99", with the set's name first when there are several.
            public func name(showingFile: Bool) -> Prose {
                (showingFile ? "\(code: file), " : "") + Prose.joined(setup.map { "\(label: $0.key) \(label: $0.value)" }) + (fullBatch ? (setup.isEmpty ? "full batch" : ", full batch") : "")
            }

            /// Sharpness over the edge.
            public var edgeShare: Double? {
                guard let sharpness, let edge, edge.estimate > 0 else { return nil }
                return sharpness.estimate / edge.estimate
            }
        }

        /// Cells where T4 explains the spread, of those where it can be told.
        public var spreadExplained: (Int, Int) {
            let told = cells.compactMap(\.spreadExplained)
            return (told.filter { $0 }.count, told.count)
        }
        /// The largest sharpness against the edge over the cells.
        public var largestEdgeShare: Double? { cells.compactMap(\.edgeShare).max() }

        public func count(_ standing: Standing) -> Int { cells.filter { $0.standing == standing }.count }
        public var following: Int { count(.follows) }

        /// The cells that follow, by set-up, with their β₂ values: the regime, in numbers.
        public var regime: Prose {
            var order: [String] = [], byKey: [String: (Findings.Cell, [String])] = [:]
            for c in cells where c.follows {
                let key = c.file + "\u{1}" + c.setup.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + (c.fullBatch ? "full" : "")
                if byKey[key] == nil { order.append(key); byKey[key] = (c, []) }
                byKey[key]!.1.append(c.beta2)
            }
            return Prose.joined(order.map { key in
                let (c, betas) = byKey[key]!
                return c.name(showingFile: Set(cells.map(\.file)).count > 1) + " at β₂ " + Prose.joined(betas.map { "\(label: $0)" })
            }, separator: "; ")
        }

        public var verdict: Verdict {
            let against = count(.against), decided = following + against
            if decided == 0 {
                return .undecided("no cell here is decided: more replications (a smaller MCSE of the level and the slope) or training runs where √v̂ exceeds \(Finding.derived(epsilonMultiple, digits: 2))ε would decide it")
            }
            if following == 0 { return .fails }
            if against == 0 && !cells.contains(where: \.diagonalFormFits) { return .holds }
            return .holdsInRegime("v̂ follows M_B in " + regime)
        }
    }

    /// What §5's rule reads, cell by cell over `files`; nil without `log_ratio_minibatch` rows.
    public static func findings(_ files: [StudyResults]) -> Findings? {
        let cells = files.flatMap(cells)
        return cells.isEmpty ? nil : Findings(cells: cells)
    }

    static func cells(_ r: StudyResults) -> [Findings.Cell] {
        let byCell = Dictionary(grouping: r.rows.filter { $0.index == nil }, by: \.cell)
        let cells = byCell.keys.sorted().compactMap { c -> Findings.Cell? in
            let rows = Dictionary(byCell[c]!.map { (Quantity($0.quantity), $0) }) { a, _ in a }
            guard let ratio = rows[Quantities.logRatioMinibatch] else { return nil }
            func f(_ q: Quantity) -> Finding? { rows[q].map { Finding($0) } }
            let parameters = ratio.parameters
            let config = r.config.map { $0.cells[c] }
            // What varies over the set names a cell: a value every cell shares (fixed, default or a
            // one-element grid alike) says nothing.
            let setup = parameters.keys.sorted().filter { $0 != beta2.name && r.values(of: $0).count > 1 }.map { ($0, parameters[$0]!) }
            let bins = r.rows(Quantities.binLog10V(.minibatch)).filter { $0.cell == c }
            return Findings.Cell(file: r.name, setup: setup,
                                 beta2: parameters[beta2.name] ?? "",
                                 fullBatch: config.map { $0[batch] >= $0[data].count } ?? false,
                                 slope: f(Quantities.slope(.minibatch)), r2: f(Quantities.r2(.minibatch)), logRatio: Finding(ratio),
                                 spread: f(Quantities.sdLogRatioMinibatch), t4Spread: f(Quantities.t4SdLogRatio),
                                 diagonalSlope: f(Quantities.slope(.hessianDiagonal)), wandering: rows[Quantities.shareWandering].map { Finding($0, form: .percent) },
                                 sharpness: f(Quantities.sharpness), edge: rows[Quantities.edge].map { .derived($0.estimate) }, residual: f(Quantities.residualRatio),
                                 largestLogV: bins.max { $0.estimate < $1.estimate }.map { Finding($0) },
                                 epsilonFloor: config.map { 2 * log10(epsilonMultiple * $0[eps]) })
        }
        return cells
    }

    /// Each set decided on its own, and all named.
    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        ClaimDecision.combining(.realNetworks, results.compactMap { r in findings([r]).map { (r.name, render($0)) } })
    }

    /// The standing of a cell in words.
    static func standing(_ c: Findings.Cell) -> Prose {
        switch c.standing {
        case .follows: return "v̂ follows M_B"
        case .epsilonSetsTheStep:
            return "every bin has √v̂ ≤ \(Finding.derived(epsilonMultiple, digits: 2))ε (largest log₁₀ v̂ \(c.largestLogV.map { "\($0)" } ?? "")): training has interpolated and ε, not v̂, sets the step, so the cell is counted apart"
        case .against:
            if c.remembers { return "v̂ exceeds M_B by more than a factor \(formula: "2") (the level's \(Finding.bound)-MCSE interval lies above)" }
            if c.level == .below { return "v̂ lies below M_B by more than a factor \(formula: "2")" }
            return "v̂ does not have M_B's shape (the slope's \(Finding.bound)-MCSE interval lies farther than \(Finding.derived(slopeBound, digits: 1)) from \(formula: "1"))"
        case .undecided:
            return "undecided: " + (c.level == .across ? "the level's \(Finding.bound)-MCSE interval crosses the factor-\(formula: "2") band" : "the slope's \(Finding.bound)-MCSE interval crosses the edge of the band within \(Finding.derived(slopeBound, digits: 1)) of \(formula: "1")")
        }
    }

    /// §5's findings as prose: one sentence per cell, then the summary.
    public static func render(_ f: Findings) -> ClaimDecision {
        let evidence: [Prose] = f.cells.map { c in
            let name = c.name(showingFile: Set(f.cells.map(\.file)).count > 1)
            var line: Prose = name + (c.setup.isEmpty && !c.fullBatch ? "" : ", ") + "β₂ = \(label: c.beta2): "
            line += "mean log₁₀(v̂/M_B) \(c.logRatio)"
            if let slope = c.slope { line += ", slope on M_B \(slope)" + (c.r2.map { " (R² \($0))" } ?? "") }
            line += ": " + standing(c)
            if let d = c.diagonalSlope { line += "; slope on |diag H| \(d)" + (c.diagonalFormFits ? ", the square-root law's diagonal form" : "") }
            if let s = c.spread, let t4 = c.t4Spread { line += "; spread of log₁₀(v̂/M_B) over coordinates \(s), T4 with the measured kurtosis \(t4)" }
            if let w = c.wandering { line += "; θ's own movement explains \(w) of Σv̂" }
            if let s = c.sharpness, let e = c.edge { line += "; preconditioned sharpness \(s) against the edge \(e)" }
            if let h = c.residual { line += "; ‖H − GGN‖_F/‖H‖_F \(h)" }
            return line + "."
        }
        let above = f.cells.filter(\.remembers)
        var summary: Prose = "Of \(Finding.count(f.cells.count)) cells, v̂ follows M_B, the expected square of a minibatch gradient at the final θ (the \(Finding.bound)-MCSE intervals of its level inside a factor \(formula: "2") and of its slope within \(Finding.derived(slopeBound, digits: 1)) of \(formula: "1")), in \(Finding.count(f.following)); decided against in \(Finding.count(f.count(.against)))"
        if !above.isEmpty { summary += " (in \(Finding.count(above.count)) its level lies above M_B's by more than a factor \(formula: "2"), v̂ remembering earlier, larger gradients)" }
        summary += "; undecided in \(Finding.count(f.count(.undecided))); and in \(Finding.count(f.count(.epsilonSetsTheStep))) ε, not v̂, sets the step. The square-root law's diagonal form (slope \(formula: "2") on |diag H|) "
            + (f.cells.contains(where: \.diagonalFormFits) ? "fits some cells." : "fits none.")
        var context: [Prose] = []
        let (explained, told) = f.spreadExplained
        if told > 0 {
            context.append("The toy theory against these runs: T4 with the measured kurtosis of the minibatch gradients gives the spread of log₁₀(v̂/M_B) over coordinates within a factor \(Finding.derived(spreadFactor, digits: 2)) in \(Finding.count(explained)) of \(Finding.count(told)) cells; where it does not, v̂ is not what T4 assumes, an average of independent squares at a fixed θ.")
        }
        if let share = f.largestEdgeShare {
            let atEdge = f.cells.filter { ($0.edgeShare ?? 0) >= 1 - Dynamics.edgeTolerance }
            let minibatch = f.cells.filter { !$0.fullBatch }.compactMap(\.edgeShare).max()
            var line: Prose = "The preconditioned sharpness reaches at most \(Finding.percent(share)) of the edge \(formula: "2(1+β₁)/(1−β₁)") over the cells"
            if let minibatch, atEdge.contains(where: \.fullBatch) { line += ", and at most \(Finding.percent(minibatch)) with minibatches" }
            line += atEdge.isEmpty ? ": no run here sits at the adaptive edge of stability."
                : ": \(Finding.count(atEdge.count)) \(atEdge.count == 1 ? "cell reaches" : "cells reach") the adaptive edge of stability (within \(Finding.percent(Dynamics.edgeTolerance)))"
                    + (atEdge.allSatisfy(\.fullBatch) ? "\(atEdge.count == 1 ? "" : ", all of them"), trained on the full batch, as \(formula: "Cohen et al. (2022)") find for full-batch Adam." : ".")
            context.append(line)
        }
        context.append("Not applicable here: T9's size of the lag, \(formula: "(1−β₂)/(1 − β₂e^κ) − 1"), needs the rate κ at which M_B shrinks along the trajectory, which the `network` study does not measure.")
        return ClaimDecision(claim: .realNetworks, verdict: f.verdict, summary: summary, evidence: evidence + context)
    }

    /// Every cell measures v̂ against M_B: any config can decide §5 (a cell may still come out
    /// undecided, when its intervals cross a band).
    public static func readiness(_ config: Config) -> Readiness? { Readiness(.realNetworks) }
}

extension NetworkStudy {
    /// The answer's row: what v̂ follows in real training, counted over every set's cells.
    public static func answer(_ results: [StudyResults]) -> [RegimeLaw] {
        guard let f = findings(results) else { return [] }
        let law: Prose = f.following == 0 ? "not M_B, where decided"
            : f.count(.against) == 0 ? "M_B, the minibatch gradient's second moment (the Gauss–Newton side)"
            : "M_B (the Gauss–Newton side) in some set-ups and β₂, not in others (the section on real networks names them)"
        return [RegimeLaw("Adam training a network on real data, at the final θ", law: law,
                          measured: "follows in \(Finding.count(f.following)) of \(Finding.count(f.cells.count)) cells, decided against in \(Finding.count(f.count(.against))), undecided in \(Finding.count(f.count(.undecided))), ε sets the step in \(Finding.count(f.count(.epsilonSetsTheStep)))",
                          claim: .realNetworks)]
    }
}
