import Foundation
import GSL
import MonteCarlo

/// Optimizer dynamics on the noisy quadratic model across β₂ (STUDIES.md T5, deciding C1 and
/// the headline question).
///
/// Diagonal H = diag(h), g = h⊙δ + ξ with ξᵢ ~ N(0, σₙ²hᵢ/B) fresh each step. Each replication
/// is one chain from δ = 0, run for `steps` steps by one ``Optimizer``; after `burn_in` steps it
/// time-averages gᵢ², δᵢ² and the preconditioned curvature ηhᵢ/(√v̂ᵢ + ε). Chains are independent,
/// so the MCSE (spread across chains) accounts for the autocorrelation within each.
///
/// Theory (``NoisyQuadratic``): SGD's stationary Var(δᵢ) = ησₙ²/(B(2 − ηhᵢ)) and
/// E[gᵢ²] = 2σₙ²hᵢ/(B(2 − ηhᵢ)); for RMSProp and Adam the β₂ → 1 fixed point uᵢ = √E[gᵢ²] with the
/// step frozen at η/(uᵢ + ε). Below h_c the fixed point follows the Gauss–Newton law (v ∝ h),
/// above it the square-root law (v ∝ h²) with ηh/u at the stability limit L = 2(1+β₁)/(1−β₁):
/// the adaptive edge of stability. T5 gives h_c = 16σₙ²/(Bη²) for RMSProp (L = 2), where the two
/// terms under its root are equal, (ηh)² = 16σₙ²h/B; the same condition at Adam's edge,
/// u = ηh/L against u = 2σₙ√(h/B), gives h_c = 4L²σₙ²/(Bη²), 361 times larger at β₁ = 0.9.
/// For β₂ < 1 there is no closed form: `sqrt_v_gap` measures how far each β₂ is from it.
public struct Dynamics: Study {
    public static let name = "dynamics"
    public static let summary = "SGD, RMSProp, Adam and AdaBelief on the noisy quadratic model: which law v follows, across β₂ (T5)"
    public static let optimizer = Parameter<Optimizer>("optimizer", default: .adam, "the update rule")
    public static let lr = Parameter<Double>("lr", .positive, "η, the learning rate")
    public static let beta1 = Parameter<Double>("beta1", .unitHalfOpen, default: 0.9, "β₁ (Adam, AdaBelief)")
    public static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, default: 0.999, "β₂ (RMSProp, Adam, AdaBelief)")
    public static let eps = Parameter<Double>("eps", .nonNegative, default: 1e-8, "ε in η·m̂/(√v̂ + ε)")
    public static let batch = Parameter<Int>("batch", minimum: 1, default: 1, "B: the gradient noise has variance σₙ²h/B")
    public static let noiseSigma = Parameter<Double>("noise_sigma", .positive, "σₙ")
    public static let spectrum = Parameter<Spectrum>("spectrum", "h, the diagonal of H")
    public static let steps = Parameter<Int>("steps", minimum: 1, "steps per chain")
    public static let burnIn = Parameter<Int>("burn_in", minimum: 0, default: 0, "steps left out of the time averages")
    public static let parameters = [optimizer.erased, lr.erased, beta1.erased, beta2.erased, eps.erased, batch.erased,
                                    noiseSigma.erased, spectrum.erased, steps.erased, burnIn.erased]

    let optimizer: Optimizer
    let h: [Double]
    let lr: Double, beta1: Double, beta2: Double, eps: Double
    let steps: Int, burnIn: Int
    /// √(σₙ²hᵢ/B), the sd of each coordinate's gradient noise.
    let noiseScale: [Double]
    /// h_c = 4L²σₙ²/(Bη²) (16σₙ²/(Bη²) for L = 2): the Gauss–Newton law below, the square-root law above.
    public let crossover: Double
    /// 2(1+β₁)/(1−β₁), the limit of the preconditioned sharpness.
    public let stabilityLimit: Double
    /// The coordinates below h_c/4 and above 4h_c, when each side has two distinct curvatures to
    /// fit. The fixed point's local exponent passes 1.5 near h_c (at h_c/3 for RMSProp, 1.5·h_c
    /// for Adam at β₁ = 0.9: ``NoisyQuadratic/exponentPassage(_:limit:)``), so coordinates within a
    /// factor ``regimeMargin`` of it measure the crossover, not either law, and are left out.
    let below: [Int]?, above: [Int]?
    public static let regimeMargin = 4.0
    let slots: Slots
    public let outputs: [Output]
    public let unavailable: [Output]

    /// Where a replication writes: the time averages of gᵢ², δᵢ² and (adaptive methods) of the
    /// preconditioned curvature ηhᵢ/(√v̂ᵢ + ε) against Newton's 1; √v's gap to the fixed point
    /// (RMSProp, Adam); the time average of the largest preconditioned curvature; the exponents
    /// of v on h below and above h_c, and of Var(δ) on h.
    public struct Slots: Sendable {
        let v: VectorSlot, varianceOfDelta: VectorSlot
        let newtonRatio: VectorSlot?, sqrtVGap: VectorSlot?
        let sharpness: Slot
        let exponentBelow: Slot?, exponentAbove: Slot?
        /// h_c = 4L²σₙ²/(Bη²), the same in every replication: a row for readers, its theory itself.
        let crossover: Slot
        let varianceSlope: Slot?
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let d = cell[spectrum].count, optimizer = cell[optimizer]
        return Slots(v: layout.vector("v", count: d)!, varianceOfDelta: layout.vector("var_delta", count: d)!,
                     newtonRatio: optimizer.isAdaptive ? layout.vector("newton_ratio", count: d) : nil,
                     sqrtVGap: optimizer.isAdaptive && optimizer.hasTheory ? layout.vector("sqrt_v_gap", count: d) : nil,
                     sharpness: layout.scalar("sharpness")!,
                     exponentBelow: layout.scalar("exponent_below", when: regimes(cell).below != nil,
                                                  otherwise: "fewer than two distinct curvatures below h_c/\(format(regimeMargin))"),
                     exponentAbove: layout.scalar("exponent_above", when: regimes(cell).above != nil,
                                                  otherwise: "fewer than two distinct curvatures above \(format(regimeMargin))·h_c"),
                     crossover: layout.scalar("h_c")!,
                     varianceSlope: layout.scalar("var_delta_slope", when: cell[spectrum].hasDistinctValues))
    }

    /// The coordinates of each regime (``below``, ``above``) of a cell.
    static func regimes(_ cell: Cell) -> (below: [Int]?, above: [Int]?) {
        let h = cell[spectrum].values, crossover = crossover(cell)
        func side(_ keep: (Double) -> Bool) -> [Int]? {
            let indices = h.indices.filter { keep(h[$0]) }
            return Set(indices.map { h[$0] }).count >= 2 ? indices : nil
        }
        return (side { $0 <= crossover / regimeMargin }, side { $0 >= crossover * regimeMargin })
    }

    /// L = 2(1+β₁)/(1−β₁) for the cell's optimizer (2 for SGD and RMSProp).
    public static func stabilityLimit(_ cell: Cell) -> Double {
        let beta1 = cell[optimizer].momentum(cell[beta1])
        return 2 * (1 + beta1) / (1 - beta1)
    }

    /// h_c = 4L²σₙ²/(Bη²).
    public static func crossover(_ cell: Cell) -> Double {
        let limit = stabilityLimit(cell), sigmaN = cell[noiseSigma], eta = cell[lr]
        return 4 * limit * limit * sigmaN * sigmaN / (Double(cell[batch]) * eta * eta)
    }

    /// Where h_c falls in the spectrum, and whether the exponents on both sides can be fitted.
    public static func notes(_ cell: Cell) -> [String] {
        let regimes = regimes(cell)
        var notes = [crossoverNote(crossover(cell), cell[spectrum].values, margin: regimeMargin)]
        if regimes.below == nil { notes.append("no exponent below h_c: fewer than two distinct curvatures below h_c/\(format(regimeMargin))") }
        if regimes.above == nil { notes.append("no exponent above h_c: fewer than two distinct curvatures above \(format(regimeMargin))·h_c") }
        return notes
    }

    /// The stationary theory of one cell, per coordinate: (E[g²], Var(δ), u) — u only for the
    /// adaptive methods with a fixed point; nil for AdaBelief, or where no stable state exists.
    static func theory(_ cell: Cell) -> [(v: Double, varianceOfDelta: Double, u: Double?)]? {
        let optimizer = cell[optimizer]
        guard optimizer.hasTheory else { return nil }
        let (eta, eps, sigmaN, batch) = (cell[lr], cell[eps], cell[noiseSigma], Double(cell[batch]))
        var rows: [(Double, Double, Double?)] = []
        for h in cell[spectrum].values {
            let model = NoisyQuadratic(h: h, noiseVariance: sigmaN * sigmaN * h / batch, beta1: optimizer.momentum(cell[beta1]))
            if optimizer == .sgd {
                guard let variance = model.varianceOfDelta(step: eta) else { return nil }
                rows.append((h * h * variance + model.noiseVariance, variance, nil))
            } else {
                guard let u = model.fixedPoint(learningRate: eta, epsilon: eps),
                      let variance = model.varianceOfDelta(step: eta / (u + eps)) else { return nil }
                rows.append((u * u, variance, u))
            }
        }
        return rows
    }

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        let steps = cell[steps], burnIn = cell[burnIn]
        guard burnIn < steps else { throw CellError(parameter: Self.burnIn.name, message: "must be < steps (\(steps)), got \(burnIn)") }
        let optimizer = cell[optimizer]
        let eta = cell[lr], hMax = cell[spectrum].values.max()!
        if optimizer == .sgd, eta * hMax >= 2 {
            throw CellError(parameter: lr.name, message: "SGD diverges: lr·max h = \(format(eta * hMax)) must be < 2")
        }
        if optimizer.hasTheory, theory(cell) == nil {
            throw CellError(parameter: lr.name, message: "\(optimizer.rawValue) has no stable stationary state at lr \(format(eta)): the step exceeds the stability limit")
        }
    }

    /// d = the spectrum's count: h, the noise scales, the fixed point and the indices of the two
    /// regimes (design); the stationary theory (rows of three numbers, grown by appending), its
    /// columns, the regime sets and the slope fits while preparing (`validate` computes the
    /// theory too, before, one cell at a time); a worker's ``Chain`` of ten arrays of d, and per
    /// replication η·h, v, Var(δ) and the fits.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell[spectrum].count)
        let fits = 3 * LogLogFit.slopeBytes(d) + MemoryNeed.doubles(4 * d)
        return MemoryNeed(design: MemoryNeed.doubles(5 * d),
                          preparation: MemoryNeed.doubles(16 * d) + 2 * MemoryNeed.setOfDoubles(d) + fits,
                          workspace: MemoryNeed.doubles(10 * d + 400 + 3 * d) + fits, parameter: spectrum.name)
    }

    /// Theory kinds. SGD's stationary v, Var(δ) and sharpness ηh_max are exact for a chain in its
    /// stationary law (the configs' burn-in outlasts 1/(ηh_min) many times over). RMSProp's and
    /// Adam's fixed point holds only as β₂ → 1 (v̂ frozen at its mean), so all their theories
    /// are limits, `sharpness` included: its estimand, a time average of maxᵢ ηhᵢ/(√v̂ᵢ + ε), tends
    /// to maxᵢ ηhᵢ/(uᵢ + ε) only as v̂ stops fluctuating. The exponents are log-log fits of time
    /// averages, nonlinear in them, so their theory is a limit for every optimizer.
    public init(cell: Cell, design: RandomStream) throws {
        let optimizer = cell[Self.optimizer]
        let h = cell[Self.spectrum].values
        let eta = cell[Self.lr], sigmaN = cell[Self.noiseSigma], batch = Double(cell[Self.batch])
        let beta1 = optimizer.momentum(cell[Self.beta1])
        self.optimizer = optimizer
        self.h = h
        (lr, self.beta1, beta2, eps) = (eta, beta1, cell[Self.beta2], cell[Self.eps])
        (steps, burnIn) = (cell[Self.steps], cell[Self.burnIn])
        noiseScale = h.map { (sigmaN * sigmaN * $0 / batch).squareRoot() }
        (stabilityLimit, crossover) = (Self.stabilityLimit(cell), Self.crossover(cell))
        (below, above) = Self.regimes(cell)

        let theory = Self.theory(cell)
        let v = theory?.map(\.v), variance = theory?.map(\.varianceOfDelta)
        let u: [Double]? = optimizer.isAdaptive ? theory?.compactMap(\.u) : nil
        let eps = self.eps
        let ratio = u.map { u in zip(h, u).map { eta * $0 / ($1 + eps) } }
        let isLimit = optimizer.isAdaptive
        let kind: @Sendable (Double) -> Theory = { isLimit ? .limit($0) : .exact($0) }
        var layout = OutputLayout()
        let slots = Self.declareOutputs(cell, &layout)
        layout.setCurvature(h)
        layout.setTheory(slots.crossover, .exact(crossover))
        if let v, let variance {
            layout.setTheory(slots.v) { kind(v[$0]) }
            layout.setTheory(slots.varianceOfDelta) { kind(variance[$0]) }
        }
        if let ratio, let newton = slots.newtonRatio { layout.setTheory(newton) { .limit(ratio[$0]) } }
        if let sharpness = optimizer.isAdaptive ? ratio?.max() : eta * h.max()! { layout.setTheory(slots.sharpness, kind(sharpness)) }
        func fit(_ values: [Double]?, _ indices: [Int]) throws -> Theory {
            try values.flatMap { values in try LogLogFit.slope(h: indices.map { h[$0] }, v: indices.map { values[$0] }) }
                .map(Theory.limit) ?? .none
        }
        if let slot = slots.exponentBelow, let below { layout.setTheory(slot, try fit(v, below)) }
        if let slot = slots.exponentAbove, let above { layout.setTheory(slot, try fit(v, above)) }
        if let slot = slots.varianceSlope { layout.setTheory(slot, try fit(variance, Array(h.indices))) }
        self.slots = slots
        outputs = layout.outputs
        unavailable = layout.missing
        fixedPoint = u
    }

    /// The fixed point uᵢ (RMSProp, Adam), for `sqrt_v_gap`.
    let fixedPoint: [Double]?

    public func makeWorkspace() throws -> Chain { Chain(dimension: h.count) }

    public func replicate(_ stream: RandomStream, _ chain: inout Chain, _ statistics: StatisticsRow) throws {
        try chain.run(self, stream)
        let d = h.count, n = Double(steps - burnIn)
        let v = chain.sumGradientSquares.map { $0 / n }, variance = chain.sumDeltaSquares.map { $0 / n }
        for i in 0..<d { (statistics[slots.v, i], statistics[slots.varianceOfDelta, i]) = (v[i], variance[i]) }
        if let newton = slots.newtonRatio { for i in 0..<d { statistics[newton, i] = chain.sumNewtonRatio[i] / n } }
        if let gap = slots.sqrtVGap, let fixedPoint { for i in 0..<d { statistics[gap, i] = v[i].squareRoot() / fixedPoint[i] - 1 } }
        statistics[slots.sharpness] = chain.sumSharpness / n
        func exponent(_ indices: [Int]) throws -> Double { try LogLogFit.slope(h: indices.map { h[$0] }, v: indices.map { v[$0] })! }
        if let slot = slots.exponentBelow, let below { statistics[slot] = try exponent(below) }
        if let slot = slots.exponentAbove, let above { statistics[slot] = try exponent(above) }
        statistics[slots.crossover] = crossover
        if let slot = slots.varianceSlope { statistics[slot] = try LogLogFit.slope(h: h, v: variance)! }
    }
}

/// A chain that left every bound: the step size is beyond what the optimizer can sustain.
struct Divergence: Error, CustomStringConvertible {
    let step: Int, coordinate: Int
    var description: String {
        "the chain diverged at step \(step) (coordinate \(coordinate) overflowed); lower lr or raise eps"
    }
}
