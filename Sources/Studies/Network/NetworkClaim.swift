import Foundation
import MonteCarlo
import Reporting

/// docs/SCIENCE.md §5, decided from `network`: in real training, does Adam's v̂ measure the
/// minibatch gradient's second moment M_B at the final θ (the Gauss–Newton side), or the
/// square-root law's diag(H)², and how does β₂ move the answer?
///
/// The rules, per cell (one training set-up at one β₂), each over the cell's estimates:
/// - v̂ is at M_B's level when the mean of log₁₀(v̂ᵢ/M_B,ᵢ) lies within ``levelBound`` (a factor
///   2) of 0; it remembers earlier, larger gradients when that mean exceeds the bound;
/// - v̂ has M_B's shape when the slope of log v̂ on log M_B lies within ``slopeBound`` of 1; the
///   shape is undecided when 4 MCSE of the slope exceed the bound (too few coordinates or too
///   narrow a range of M_B to tell);
/// - v̂ follows M_B when it has its level and its shape (or its level, the shape undecided);
/// - the square-root law's diagonal form fits when the slope on |diag H| lies within
///   ``slopeBound`` of 2.
/// The section holds exactly when every cell follows M_B and the diagonal form fits none, holds
/// under stated conditions when some cells do (those where 1/(1 − β₂) is short against the time
/// θ takes to move, §5's prediction), and fails when none does.
extension NetworkStudy {
    public static let claim: Claim? = Claim("§5", "Real networks: v̂ against M_B and exact curvature")

    /// A factor 2, in log₁₀: how far v̂'s mean level may sit from M_B's and still count as M_B's.
    public static let levelBound = log10(2.0)
    /// How far a log-log slope may be from the law's (1 on M_B, 2 on |diag H|) and still count as it.
    public static let slopeBound = 0.1
    /// T4 explains the spread of log₁₀(v̂/M_B) over coordinates when the measured spread is
    /// within this factor of T4's (with the measured kurtosis).
    public static let spreadFactor = 1.5

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

            public var atLevel: Bool { abs(logRatio.estimate) <= levelBound }
            public var remembers: Bool { logRatio.estimate > levelBound }
            /// Nil when undecided (no slope, or 4 MCSE beyond the bound).
            public var hasShape: Bool? {
                guard let slope, let mcse = slope.mcse, agreementBound * mcse <= slopeBound else { return nil }
                return abs(slope.estimate - 1) <= slopeBound
            }
            public var follows: Bool { atLevel && hasShape != false }
            public var diagonalFormFits: Bool { diagonalSlope.map { abs($0.estimate - 2) <= slopeBound } ?? false }
            /// Whether T4 with the measured kurtosis gives the spread within ``spreadFactor``; nil without both.
            public var spreadExplained: Bool? {
                guard let spread, let t4Spread, t4Spread.estimate > 0 else { return nil }
                let ratio = spread.estimate / t4Spread.estimate
                return ratio <= spreadFactor && ratio >= 1 / spreadFactor
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

        public var following: Int { cells.filter(\.follows).count }
        public var verdict: Verdict {
            if following == 0 { return .fails }
            return following == cells.count && !cells.contains(where: \.diagonalFormFits) ? .holdsExactly : .holdsUnderConditions
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
            let rows = Dictionary(byCell[c]!.map { ($0.quantity, $0) }) { a, _ in a }
            guard let ratio = rows["log_ratio_minibatch"] else { return nil }
            func f(_ q: String) -> Finding? { rows[q].map { Finding($0) } }
            let grid = ratio.grid
            let config = r.config.map { $0.cells[c] }
            return Findings.Cell(file: r.name, setup: grid.keys.sorted().filter { $0 != beta2.name }.map { ($0, grid[$0]!) },
                                 beta2: grid[beta2.name] ?? format(config?[beta2] ?? .nan),
                                 fullBatch: config.map { $0[batch] >= $0[data].count } ?? false,
                                 slope: f("slope_minibatch"), r2: f("r2_minibatch"), logRatio: Finding(ratio),
                                 spread: f("sd_log_ratio_minibatch"), t4Spread: f("t4_sd_log_ratio"),
                                 diagonalSlope: f("slope_hessian_diagonal"), wandering: rows["share_wandering"].map { Finding($0, form: .percent) },
                                 sharpness: f("sharpness"), edge: rows["edge"].map { .derived($0.estimate) }, residual: f("residual_ratio"))
        }
        return cells
    }

    public static func decide(_ results: [StudyResults]) -> ClaimDecision? {
        findings(results).map(render)
    }

    /// §5's findings as prose: one sentence per cell, then the summary.
    public static func render(_ f: Findings) -> ClaimDecision {
        let evidence: [Prose] = f.cells.map { c in
            let setup = Prose.joined(c.setup.map { "\(label: $0.key) \(label: $0.value)" })
            let file: Prose = Set(f.cells.map(\.file)).count > 1 ? "\(code: c.file), " : ""
            var line: Prose = file + (c.setup.isEmpty ? "" : setup + ", ") + (c.fullBatch ? "full batch, " : "") + "β₂ = \(label: c.beta2): "
            line += "mean log₁₀(v̂/M_B) \(c.logRatio)"
            if let slope = c.slope { line += ", slope on M_B \(slope)" + (c.r2.map { " (R² \($0))" } ?? "") }
            line += c.follows ? ": v̂ follows M_B" : (c.remembers ? ": v̂ exceeds M_B by more than a factor \(formula: "2")" : ": v̂ departs from M_B")
            if c.atLevel && c.hasShape == nil { line += " in level (the slope's MCSE leaves its shape undecided)" }
            if let d = c.diagonalSlope { line += "; slope on |diag H| \(d)" + (c.diagonalFormFits ? ", the square-root law's diagonal form" : "") }
            if let s = c.spread, let t4 = c.t4Spread { line += "; spread of log₁₀(v̂/M_B) over coordinates \(s), T4 with the measured kurtosis \(t4)" }
            if let w = c.wandering { line += "; θ's own movement explains \(w) of Σv̂" }
            if let s = c.sharpness, let e = c.edge { line += "; preconditioned sharpness \(s) against the edge \(e)" }
            if let h = c.residual { line += "; ‖H − GGN‖_F/‖H‖_F \(h)" }
            return line + "."
        }
        let summary: Prose
        switch f.verdict {
        case .holdsExactly:
            summary = "in every cell here v̂ follows M_B, the expected square of a minibatch gradient at the final θ (within a factor \(formula: "2") of its level and \(Finding.derived(slopeBound, digits: 1)) of its slope): the Gauss–Newton side, not the square-root law's diag(H)²."
        case .holdsUnderConditions:
            let above = f.cells.filter(\.remembers), full = above.filter(\.fullBatch).count
            summary = "v̂ follows M_B, the expected square of a minibatch gradient at the final θ, in \(Finding.count(f.following)) of \(Finding.count(f.cells.count)) cells; in \(Finding.count(above.count)) its mean level exceeds M_B's by more than a factor \(formula: "2")"
                + (above.count > full ? " (\(Finding.count(above.count - full)) with minibatches, as T9's lag predicts where \(formula: "1/(1 − β₂)") is long against the time θ takes to move" + (full > 0 ? "; \(Finding.count(full)) with the full batch)" : ")") : (full > 0 ? ", all with the full batch" : ""))
                + ". The square-root law's diagonal form (slope \(formula: "2") on |diag H|) " + (f.cells.contains(where: \.diagonalFormFits) ? "fits some cells." : "fits none.")
        default:
            summary = "in no cell here does v̂ follow M_B within a factor \(formula: "2") of its level and its slope."
        }
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
        return ClaimDecision(claim: claim!, verdict: f.verdict, summary: summary, evidence: evidence + context)
    }
}
