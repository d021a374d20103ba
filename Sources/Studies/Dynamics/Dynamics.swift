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
    public static let parameters: [Parameter] = [
        Parameter("optimizer", .choice(Optimizer.allCases.map(\.rawValue)), default: .choice("adam"), "the update rule"),
        Parameter("lr", .number(.positive), "η, the learning rate"),
        Parameter("beta1", .number(.unitHalfOpen), default: .number(0.9), "β₁ (Adam, AdaBelief)"),
        Parameter("beta2", .number(.unitHalfOpen), default: .number(0.999), "β₂ (RMSProp, Adam, AdaBelief)"),
        Parameter("eps", .number(.nonNegative), default: .number(1e-8), "ε in η·m̂/(√v̂ + ε)"),
        Parameter("batch", .integer(minimum: 1), default: .integer(1), "B: the gradient noise has variance σₙ²h/B"),
        Parameter("noise_sigma", .number(.positive), "σₙ"),
        Parameter("spectrum", .spectrum, "h, the diagonal of H"),
        Parameter("steps", .integer(minimum: 1), "steps per chain"),
        Parameter("burn_in", .integer(minimum: 0), default: .integer(0), "steps left out of the time averages"),
    ]

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
    /// fit. The fixed point's local exponent passes 1.5 at about h_c, so coordinates within a
    /// factor ``regimeMargin`` of it measure the crossover, not either law, and are left out.
    let below: [Int]?, above: [Int]?
    public static let regimeMargin = 4.0
    public let outputs: [Output]

    /// L = 2(1+β₁)/(1−β₁) for the cell's optimizer (2 for SGD and RMSProp).
    public static func stabilityLimit(_ cell: Cell) -> Double {
        let beta1 = Optimizer(rawValue: cell.choice("optimizer"))!.momentum(cell.number("beta1"))
        return 2 * (1 + beta1) / (1 - beta1)
    }

    /// h_c = 4L²σₙ²/(Bη²).
    public static func crossover(_ cell: Cell) -> Double {
        let limit = stabilityLimit(cell), sigmaN = cell.number("noise_sigma"), eta = cell.number("lr")
        return 4 * limit * limit * sigmaN * sigmaN / (Double(cell.integer("batch")) * eta * eta)
    }

    /// The stationary theory of one cell, per coordinate: (E[g²], Var(δ), u) — u only for the
    /// adaptive methods with a fixed point; nil for AdaBelief, or where no stable state exists.
    static func theory(_ cell: Cell) -> [(v: Double, varianceOfDelta: Double, u: Double?)]? {
        let optimizer = Optimizer(rawValue: cell.choice("optimizer"))!
        guard optimizer.hasTheory else { return nil }
        let (eta, eps, sigmaN, batch) = (cell.number("lr"), cell.number("eps"), cell.number("noise_sigma"), Double(cell.integer("batch")))
        var rows: [(Double, Double, Double?)] = []
        for h in cell.spectrum("spectrum").values {
            let model = NoisyQuadratic(h: h, noiseVariance: sigmaN * sigmaN * h / batch, beta1: optimizer.momentum(cell.number("beta1")))
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
        let steps = cell.integer("steps"), burnIn = cell.integer("burn_in")
        guard burnIn < steps else { throw CellError(parameter: "burn_in", message: "must be < steps (\(steps)), got \(burnIn)") }
        let spectrum = cell.spectrum("spectrum"), optimizer = Optimizer(rawValue: cell.choice("optimizer"))!
        let eta = cell.number("lr"), hMax = spectrum.values.max()!
        if optimizer == .sgd, eta * hMax >= 2 {
            throw CellError(parameter: "lr", message: "SGD diverges: lr·max h = \(format(eta * hMax)) must be < 2")
        }
        if optimizer.hasTheory, theory(cell) == nil {
            throw CellError(parameter: "lr", message: "\(optimizer.rawValue) has no stable stationary state at lr \(format(eta)): the step exceeds the stability limit")
        }
    }

    /// d = the spectrum's count: h, the noise scales, the fixed point and the indices of the two
    /// regimes (design); the stationary theory (rows of three numbers, grown by appending), its
    /// columns, the regime sets and the slope fits while preparing (`validate` computes the
    /// theory too, before, one cell at a time); a worker's ``Chain`` of ten arrays of d, and per
    /// replication η·h, v, Var(δ) and the fits.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell.spectrum("spectrum").count)
        // v and Var(δ); adaptive methods add the Newton ratio, and those with a theory the gap.
        let optimizer = Optimizer(rawValue: cell.choice("optimizer"))!
        let perCoordinate: Double = optimizer.isAdaptive ? (optimizer.hasTheory ? 4 : 3) : 2
        let fits = 3 * LogLogFit.slopeBytes(d) + MemoryNeed.doubles(4 * d)
        return MemoryNeed(design: MemoryNeed.doubles(5 * d),
                          preparation: MemoryNeed.doubles(16 * d) + 2 * MemoryNeed.setOfDoubles(d) + fits,
                          workspace: MemoryNeed.doubles(10 * d + 400 + 3 * d) + fits,
                          outputs: perCoordinate * d + 4, parameter: "spectrum")
    }

    public init(cell: Cell, design: RandomStream) throws {
        let optimizer = Optimizer(rawValue: cell.choice("optimizer"))!
        let h = cell.spectrum("spectrum").values
        let d = h.count
        let eta = cell.number("lr"), sigmaN = cell.number("noise_sigma"), batch = Double(cell.integer("batch"))
        let beta1 = optimizer.momentum(cell.number("beta1"))
        self.optimizer = optimizer
        self.h = h
        (lr, self.beta1, beta2, eps) = (eta, beta1, cell.number("beta2"), cell.number("eps"))
        (steps, burnIn) = (cell.integer("steps"), cell.integer("burn_in"))
        noiseScale = h.map { (sigmaN * sigmaN * $0 / batch).squareRoot() }
        let crossover = Self.crossover(cell)
        (stabilityLimit, self.crossover) = (Self.stabilityLimit(cell), crossover)
        func side(_ keep: (Double) -> Bool) -> [Int]? {
            let indices = h.indices.filter { keep(h[$0]) }
            return Set(indices.map { h[$0] }).count >= 2 ? indices : nil
        }
        (below, above) = (side { $0 <= crossover / Self.regimeMargin }, side { $0 >= crossover * Self.regimeMargin })

        let theory = Self.theory(cell)
        let v = theory?.map(\.v), variance = theory?.map(\.varianceOfDelta)
        let u: [Double]? = optimizer.isAdaptive ? theory?.compactMap(\.u) : nil
        let ratio = u.map { u in zip(h, u).map { eta * $0 / ($1 + cell.number("eps")) } }
        var outputs: [Output] = []
        outputs.reserveCapacity((optimizer.isAdaptive ? (optimizer.hasTheory ? 4 : 3) : 2) * d + 4)  // as memory(_:) counts
        outputs += (0..<d).lazy.map { Output("v", index: $0, theory: v?[$0]) }
        outputs += (0..<d).lazy.map { Output("var_delta", index: $0, theory: variance?[$0]) }
        if optimizer.isAdaptive {
            outputs += (0..<d).lazy.map { Output("newton_ratio", index: $0, theory: ratio?[$0]) }
            if optimizer.hasTheory { outputs += (0..<d).lazy.map { Output("sqrt_v_gap", index: $0, theory: nil) } }
        }
        outputs.append(Output("sharpness", theory: optimizer.isAdaptive ? ratio?.max() : eta * h.max()!))
        func fit(_ values: [Double]?, _ indices: [Int]) throws -> Double? {
            try values.flatMap { values in try LogLogFit.slope(h: indices.map { h[$0] }, v: indices.map { values[$0] }) }
        }
        if let below { outputs.append(Output("exponent_below", theory: try fit(v, below))) }
        if let above { outputs.append(Output("exponent_above", theory: try fit(v, above))) }
        if Set(h).count > 1 { outputs.append(Output("var_delta_slope", theory: try fit(variance, Array(h.indices)))) }
        self.outputs = outputs
        fixedPoint = u
    }

    /// The fixed point uᵢ (RMSProp, Adam), for `sqrt_v_gap`.
    let fixedPoint: [Double]?

    public func makeWorkspace() throws -> Chain { Chain(dimension: h.count) }

    public func replicate(_ stream: RandomStream, _ chain: inout Chain,
                          _ statistics: UnsafeMutableBufferPointer<Double>) throws {
        try chain.run(self, stream)
        let d = h.count, n = Double(steps - burnIn)
        var k = 0
        func write(_ value: Double) { statistics[k] = value; k += 1 }
        let v = chain.sumGradientSquares.map { $0 / n }, variance = chain.sumDeltaSquares.map { $0 / n }
        v.forEach(write)
        variance.forEach(write)
        if optimizer.isAdaptive {
            chain.sumNewtonRatio.forEach { write($0 / n) }
            if let fixedPoint { for i in 0..<d { write(v[i].squareRoot() / fixedPoint[i] - 1) } }
        }
        write(chain.sumSharpness / n)
        if let below { write(try LogLogFit.slope(h: below.map { h[$0] }, v: below.map { v[$0] })!) }
        if let above { write(try LogLogFit.slope(h: above.map { h[$0] }, v: above.map { v[$0] })!) }
        if Set(h).count > 1 { write(try LogLogFit.slope(h: h, v: variance)!) }
    }
}

/// A chain that left every bound: the step size is beyond what the optimizer can sustain.
struct Divergence: Error, CustomStringConvertible {
    let step: Int, coordinate: Int
    var description: String {
        "the chain diverged at step \(step) (coordinate \(coordinate) overflowed); lower lr or raise eps"
    }
}
