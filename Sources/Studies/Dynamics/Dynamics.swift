import Foundation
import GSL
import MonteCarlo

/// Optimizer dynamics on the noisy quadratic model across β₂ (docs/SCIENCE.md T5, deciding C1 and
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
///
/// **Decoupled noise (T10).** `noise: "power"` gives ξᵢ ~ N(0, σₙ²hᵢ^γ/B) (γ = `noise_power`); T5′
/// holds with this q, so v ∝ h^γ below h_c and h² above, with h_c^(2−γ) = 4L²σₙ²/(Bη²); γ = 2 has
/// no crossover (every coordinate is counted above it, v ∝ h² everywhere). γ = 1 is `"hessian"`
/// draw for draw.
///
/// **Rotated H (T8).** With `rotation: "haar"` H = QΛQᵀ (Q Haar from the cell's design stream),
/// and with `noise: "misaligned"` C = σₙ²Q′ΛQ′ᵀ with Q′ an independent Haar rotation (drawn after
/// Q); otherwise C = σₙ²QΛ^γQᵀ. Such a cell runs the dense chain (``Chain``): g = Hδ + (C/B)^(1/2)z,
/// the same update rule, and its theory is T8's fixed point (``RotatedNQM``). Its own outputs:
/// - `preconditioned_sharpness`: η·λ_max(P^(−1/2)HP^(−1/2)) with P = diag(√v̂ + ε), evaluated
///   every ``preconditionedSharpnessInterval`` steps counting back from the last (so the last
///   step is always one) over the steps after the burn-in, time-averaged; and
///   `preconditioned_sharpness_final` at the last step. Theory: T8's value at P = diag(u + ε),
///   a limit; the edge L = 2(1+β₁)/(1−β₁) is in the headline.
/// - `ratio_hessian_squared`, `ratio_diagonal_squared`, `ratio_noise` (per i): vᵢ over
///   (H²)ᵢᵢ, Hᵢᵢ² and (C/B)ᵢᵢ; and `spread_…` (scalars): the sd over coordinates (divisor d) of
///   log(vᵢ/pᵢ) for each predictor p: 0 exactly when v ∝ p. Theory: the same of T8's u².
/// - `cov_distance_identity`, `cov_distance_preconditioner`: with Σ̂ the time average of δδᵀ
///   (E[δ] = 0 by the symmetry δ → −δ, ξ → −ξ) and D̂ = diag of the time average of 1/(√v̂ᵢ + ε),
///   ‖Σ̂/‖Σ̂‖_F − I/‖I‖_F‖_F and ‖Σ̂/‖Σ̂‖_F − D̂/‖D̂‖_F‖_F: 0 when Cov(δ) is isotropic (C2's
///   assumption), resp. ∝ P⁻¹; at most 2. Theory: the same of T8's Σ and P = diag(u + ε).
/// Theory kinds: SGD's (P = I) v, var_delta and ratios are exact; everything else a limit.
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
    public static let rotation = Parameter<SqrtLaw.Rotation>("rotation", default: SqrtLaw.Rotation.none, "H = diag(spectrum), or QΛQᵀ with Q Haar-random from the seed (T8)")
    /// The shape of the gradient noise's covariance C (T10, T8).
    public enum NoiseShape: String, Choice { case hessian, power, misaligned }
    public static let noise = Parameter<NoiseShape>("noise", default: .hessian, "C = σₙ²H (\"hessian\"), σₙ²H^γ (\"power\"), or σₙ²Q′ΛQ′ᵀ with Q′ an independent Haar rotation (\"misaligned\")")
    public static let noisePower = Parameter<Double>("noise_power", .nonNegative, default: 1, "γ for noise \"power\", in [0, 2]")
    public static let parameters = [optimizer.erased, lr.erased, beta1.erased, beta2.erased, eps.erased, batch.erased,
                                    noiseSigma.erased, spectrum.erased, steps.erased, burnIn.erased,
                                    rotation.erased, noise.erased, noisePower.erased]
    /// Preconditioned sharpness is evaluated every this many steps (one eigenvalue each).
    public static let preconditionedSharpnessInterval = 100
    /// The most coordinates of a dense cell: T8's solver is O(d⁴) (a d×d Jacobian of O(d³) columns).
    public static let largestDenseDimension = 256

    let optimizer: Optimizer
    /// diag H: the spectrum, or the diagonal of QΛQᵀ in a dense cell.
    let h: [Double]
    /// The dense model (rotated H or misaligned noise), nil for the diagonal chain.
    let dense: DenseModel?
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
        /// h_c (T10: h_c^(2−γ) = 4L²σₙ²/(Bη²)), the same in every replication: a row for readers,
        /// its theory itself.
        let crossover: Slot?
        let varianceSlope: Slot?
        /// The dense cell's own outputs (``Dynamics``).
        let preconditionedSharpness: Slot?, preconditionedSharpnessFinal: Slot?
        let covarianceDistanceIdentity: Slot?, covarianceDistancePreconditioner: Slot?
        let ratioHessianSquared: VectorSlot?, ratioDiagonalSquared: VectorSlot?, ratioNoise: VectorSlot?
        let spreadHessianSquared: Slot?, spreadDiagonalSquared: Slot?, spreadNoise: Slot?
        /// Noise "power" (γ < 2): where v's secant exponent first reaches (γ + 2)/2 (``passage(_:_:gamma:)``).
        let passage: Slot?
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        declareOutputs(cell, &layout, dense: isDense(cell), fixedPoint: true, passage: true)
    }

    /// `fixedPoint`: whether T8's fixed point was found, for `sqrt_v_gap`; `passage`: whether the
    /// theory has a passage (building only).
    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout, dense: Bool, fixedPoint: Bool, passage: Bool) -> Slots {
        let d = cell[spectrum].count, optimizer = cell[optimizer], adaptive = optimizer.isAdaptive
        let shape = cell[noise], gamma = noisePower(cell)
        let flat = "no exponents: v is not a function of one curvature per coordinate when H is rotated or the noise misaligned"
        return Slots(v: layout.vector(Quantities.v, count: d)!, varianceOfDelta: layout.vector(Quantities.varDelta, count: d)!,
                     newtonRatio: adaptive ? layout.vector(Quantities.newtonRatio, count: d) : nil,
                     sqrtVGap: adaptive && optimizer.hasTheory ? layout.vector(Quantities.sqrtVGap, count: d, when: fixedPoint) : nil,
                     sharpness: layout.scalar(Quantities.sharpness)!,
                     exponentBelow: layout.scalar(Quantities.exponentBelow, when: !dense && regimes(cell).below != nil,
                                                  otherwise: dense ? flat : gamma == 2 ? "γ = 2: no crossover (T10), every curvature is above it"
                                                    : "fewer than two distinct curvatures below h_c/\(format(regimeMargin))"),
                     exponentAbove: layout.scalar(Quantities.exponentAbove, when: !dense && regimes(cell).above != nil,
                                                  otherwise: dense ? flat : "fewer than two distinct curvatures above \(format(regimeMargin))·h_c"),
                     crossover: layout.scalar(Quantities.hC, when: shape != .misaligned && gamma < 2,
                                              otherwise: shape == .misaligned ? "misaligned noise: no crossover law" : "γ = 2: no crossover (T10)"),
                     varianceSlope: layout.scalar(Quantities.varDeltaSlope, when: !dense && cell[spectrum].hasDistinctValues),
                     preconditionedSharpness: dense && adaptive ? layout.scalar(Quantities.preconditionedSharpness) : nil,
                     preconditionedSharpnessFinal: dense && adaptive ? layout.scalar(Quantities.preconditionedSharpnessFinal) : nil,
                     covarianceDistanceIdentity: dense ? layout.scalar(Quantities.covDistanceIdentity) : nil,
                     covarianceDistancePreconditioner: dense ? layout.scalar(Quantities.covDistancePreconditioner) : nil,
                     ratioHessianSquared: dense ? layout.vector(Quantities.ratioHessianSquared, count: d) : nil,
                     ratioDiagonalSquared: dense ? layout.vector(Quantities.ratioDiagonalSquared, count: d) : nil,
                     ratioNoise: dense ? layout.vector(Quantities.ratioNoise, count: d) : nil,
                     spreadHessianSquared: dense ? layout.scalar(Quantities.spreadHessianSquared) : nil,
                     spreadDiagonalSquared: dense ? layout.scalar(Quantities.spreadDiagonalSquared) : nil,
                     spreadNoise: dense ? layout.scalar(Quantities.spreadNoise) : nil,
                     passage: !dense && shape == .power && gamma < 2
                        ? layout.scalar(Quantities.passage, when: passage, otherwise: "the theory's secant exponent never reaches (γ + 2)/2 in this spectrum") : nil)
    }

    /// Where v's exponent on h passes midway from γ to 2: scanning the coordinates in increasing h,
    /// the secant exponents eₖ = Δlog v/Δlog h between neighbours are placed at the midpoints of
    /// log h, and the passage is the first crossing of (γ + 2)/2, interpolated linearly in log h;
    /// nil if none. Applied alike to a replication's v and to the fixed point (the theory, a limit).
    /// By T5′ (ε = 0) the continuous passage is at g(x) = x·f′/f = 2 for every γ, i.e. at
    /// h/h_c = (``NoisyQuadratic/exponentPassage(_:limit:)`` of 1.5)^(1/(2−γ)): h_c/3 for RMSProp
    /// at γ = 1, so that it moves like h_c, ∝ B^(−1/(2−γ)).
    static func passage(_ h: [Double], _ v: [Double], gamma: Double) -> Double? {
        let order = h.indices.sorted { h[$0] < h[$1] }.filter { h[$0] > 0 }
        let target = (gamma + 2) / 2
        var previous: (x: Double, e: Double)?
        for k in 1..<max(order.count, 1) {
            let (i, j) = (order[k - 1], order[k])
            guard h[j] > h[i] else { continue }
            let e = (log(v[j]) - log(v[i])) / (log(h[j]) - log(h[i])), x = (log(h[i]) + log(h[j])) / 2
            if let previous, previous.e < target, e >= target {
                return exp(previous.x + (target - previous.e) / (e - previous.e) * (x - previous.x))
            }
            if previous == nil, e >= target { return nil }  // already past it at the low end
            previous = (x, e)
        }
        return nil
    }

    /// Whether a cell runs the dense chain: H rotated or the noise misaligned.
    static func isDense(_ cell: Cell) -> Bool { cell[rotation] == .haar || cell[noise] == .misaligned }

    /// γ: the power of H in the noise covariance (1 for "hessian", and for "misaligned", whose
    /// eigenvalues are σₙ²Λ).
    static func noisePower(_ cell: Cell) -> Double { cell[noise] == .power ? cell[noisePower] : 1 }

    /// qᵢ = σₙ²hᵢ^γ/B: σₙ²hᵢ/B for "hessian", exactly as before the power existed.
    static func noiseVariance(_ cell: Cell, _ h: Double) -> Double {
        let sigmaN = cell[noiseSigma], batch = Double(cell[batch])
        return cell[noise] == .power ? sigmaN * sigmaN * pow(h, cell[noisePower]) / batch : sigmaN * sigmaN * h / batch
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

    /// h_c = 4L²σₙ²/(Bη²), raised to 1/(2 − γ) under noise "power" (T10); 0 at γ = 2, where there
    /// is no crossover and every curvature follows v ∝ h².
    public static func crossover(_ cell: Cell) -> Double {
        let limit = stabilityLimit(cell), sigmaN = cell[noiseSigma], eta = cell[lr]
        let base = 4 * limit * limit * sigmaN * sigmaN / (Double(cell[batch]) * eta * eta)
        guard cell[noise] == .power else { return base }
        let gamma = cell[noisePower]
        return gamma >= 2 ? 0 : pow(base, 1 / (2 - gamma))
    }

    /// Where h_c falls in the spectrum, and whether the exponents on both sides can be fitted.
    public static func notes(_ cell: Cell) -> [String] {
        if isDense(cell) { return ["dense chain (rotated H or misaligned noise): theory from T8's fixed point"] }
        if noisePower(cell) >= 2 { return ["γ = 2: no crossover (T10); v ∝ h² at every curvature"] }
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
        let (eta, eps) = (cell[lr], cell[eps])
        var rows: [(Double, Double, Double?)] = []
        for h in cell[spectrum].values {
            let model = NoisyQuadratic(h: h, noiseVariance: noiseVariance(cell, h), beta1: optimizer.momentum(cell[beta1]))
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
        if cell[noise] == .power, cell[noisePower] > 2 {
            throw CellError(parameter: noisePower.name, message: "must be in [0, 2] (T10: above 2 the two laws swap sides), got \(format(cell[noisePower]))")
        }
        if isDense(cell) {
            // T8's fixed point depends on the rotation, drawn only when the cell is prepared; a
            // cell without a stable one keeps its rows without theory (and may diverge, exit 1).
            let d = cell[spectrum].count
            guard d <= largestDenseDimension else {
                throw CellError(parameter: spectrum.name, message: "a rotated H or misaligned noise takes at most \(largestDenseDimension) coordinates (T8's solver is O(d⁴)), got \(d)")
            }
            return
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
    /// A dense cell adds three d×d matrices to the design (H, (C/B)^(1/2), C/B), the T8 solver's
    /// matrices and Jacobian while preparing (about 16 d×d, counted as 24), and per worker the
    /// covariance sum, K, the eigen workspace and a replication's Σ̂ (counted as 8 d×d).
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell[spectrum].count)
        let fits = 3 * LogLogFit.slopeBytes(d) + MemoryNeed.doubles(4 * d)
        let square = isDense(cell) ? MemoryNeed.doubles(d * d) : 0
        return MemoryNeed(design: MemoryNeed.doubles(5 * d) + 3 * square,
                          preparation: MemoryNeed.doubles(16 * d) + 2 * MemoryNeed.setOfDoubles(d) + fits + 24 * square,
                          workspace: MemoryNeed.doubles(10 * d + 400 + 3 * d) + fits + 8 * square + MemoryNeed.doubles(8 * d),
                          parameter: spectrum.name)
    }

    /// Theory kinds. SGD's stationary v, Var(δ) and sharpness ηh_max are exact for a chain in its
    /// stationary law (the configs' burn-in outlasts 1/(ηh_min) many times over). RMSProp's and
    /// Adam's fixed point holds only as β₂ → 1 (v̂ frozen at its mean), so all their theories
    /// are limits, `sharpness` included: its estimand, a time average of maxᵢ ηhᵢ/(√v̂ᵢ + ε), tends
    /// to maxᵢ ηhᵢ/(uᵢ + ε) only as v̂ stops fluctuating. The exponents are log-log fits of time
    /// averages, nonlinear in them, so their theory is a limit for every optimizer.
    public init(cell: Cell, design: RandomStream) throws {
        try self.init(cell: cell, design: design, forceDense: false)
    }

    /// `forceDense` runs a diagonal cell through the dense chain and T8 with Q = I (a test of the
    /// dense path against the diagonal one).
    init(cell: Cell, design: RandomStream, forceDense: Bool) throws {
        if forceDense || Self.isDense(cell) {
            try self.init(dense: DenseModel(cell, design: design), cell: cell)
        } else {
            try self.init(diagonal: cell)
        }
    }

    /// The diagonal cell: T5 (T10 under noise "power").
    private init(diagonal cell: Cell) throws {
        let optimizer = cell[Self.optimizer]
        let spectrum = cell[Self.spectrum].values
        let eta = cell[Self.lr]
        let beta1 = optimizer.momentum(cell[Self.beta1])
        self.optimizer = optimizer
        (lr, self.beta1, beta2, eps) = (eta, beta1, cell[Self.beta2], cell[Self.eps])
        (steps, burnIn) = (cell[Self.steps], cell[Self.burnIn])
        (stabilityLimit, crossover) = (Self.stabilityLimit(cell), Self.crossover(cell))
        dense = nil
        let h = spectrum
        self.h = h
        noiseScale = h.map { Self.noiseVariance(cell, $0).squareRoot() }
        (below, above) = Self.regimes(cell)

        let theory = Self.theory(cell)
        let v = theory?.map(\.v), variance = theory?.map(\.varianceOfDelta)
        let u: [Double]? = optimizer.isAdaptive ? theory?.compactMap(\.u) : nil
        let eps = self.eps
        let ratio = u.map { u in zip(h, u).map { eta * $0 / ($1 + eps) } }
        let isLimit = optimizer.isAdaptive
        let kind: @Sendable (Double) -> Theory = { isLimit ? .limit($0) : .exact($0) }
        let gamma = Self.noisePower(cell)
        let passage = cell[Self.noise] == .power && gamma < 2 ? v.flatMap { Self.passage(h, $0, gamma: gamma) } : nil
        passageTarget = passage == nil ? nil : gamma
        var layout = OutputLayout()
        let slots = Self.declareOutputs(cell, &layout, dense: false, fixedPoint: true, passage: passage != nil)
        if let slot = slots.passage, let passage { layout.setTheory(slot, .limit(passage)) }
        layout.setCurvature(h)
        if let slot = slots.crossover { layout.setTheory(slot, .exact(crossover)) }
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

    /// The dense cell's theory (T8) and outputs; `self` is set up to the model.
    private init(dense model: DenseModel, cell: Cell) throws {
        let optimizer = cell[Self.optimizer]
        let eta = cell[Self.lr], beta1 = optimizer.momentum(cell[Self.beta1]), eps = cell[Self.eps]
        (self.optimizer, dense, h, noiseScale, below, above) = (optimizer, model, model.hessianDiagonal, [], nil, nil)
        (lr, self.beta1, beta2, self.eps) = (eta, beta1, cell[Self.beta2], eps)
        (steps, burnIn) = (cell[Self.steps], cell[Self.burnIn])
        (stabilityLimit, crossover) = (Self.stabilityLimit(cell), Self.crossover(cell))
        let d = model.dimension
        let solver = RotatedNQM(hessian: model.hessian, noise: model.noiseCovariance, eta: eta, beta1: beta1, eps: eps)
        // SGD: P = I exactly (its step is η·g); RMSProp, Adam: T8's fixed point; AdaBelief: none.
        var state: RotatedNQM.State?, u: [Double]?
        switch optimizer {
        case .sgd: state = solver.stationary(preconditioner: [Double](repeating: 1, count: d))
        case .rmsprop, .adam: if let found = solver.fixedPoint() { (u, state) = (found.u, found.state) }
        case .adabelief: break
        }
        let p: [Double]? = optimizer == .sgd ? [Double](repeating: 1, count: d) : u.map { $0.map { $0 + eps } }
        var layout = OutputLayout()
        let slots = Self.declareOutputs(cell, &layout, dense: true, fixedPoint: u != nil, passage: false)
        passageTarget = nil
        layout.setCurvature(model.hessianDiagonal)
        if let slot = slots.crossover { layout.setTheory(slot, .exact(crossover)) }
        let exact = optimizer == .sgd
        let kind: @Sendable (Double) -> Theory = { exact ? .exact($0) : .limit($0) }
        if let state, let p {
            let v = state.secondMoment, variance = (0..<d).map { state.covariance[$0 * d + $0] }
            layout.setTheory(slots.v) { kind(v[$0]) }
            layout.setTheory(slots.varianceOfDelta) { kind(variance[$0]) }
            let hd = model.hessianDiagonal
            let ratio = (0..<d).map { eta * hd[$0] / p[$0] }
            if let newton = slots.newtonRatio { layout.setTheory(newton) { .limit(ratio[$0]) } }
            layout.setTheory(slots.sharpness, kind(ratio.max()!))
            if let slot = slots.preconditionedSharpness { layout.setTheory(slot, .limit(state.sharpness)) }
            if let slot = slots.preconditionedSharpnessFinal { layout.setTheory(slot, .limit(state.sharpness)) }
            let distances = Self.covarianceDistances(state.covariance, inversePreconditioner: p.map { 1 / $0 }, d)
            if let slot = slots.covarianceDistanceIdentity { layout.setTheory(slot, .limit(distances.identity)) }
            if let slot = slots.covarianceDistancePreconditioner { layout.setTheory(slot, .limit(distances.preconditioner)) }
            for (vector, scalar, predictor) in [(slots.ratioHessianSquared, slots.spreadHessianSquared, model.hessianSquaredDiagonal),
                                                (slots.ratioDiagonalSquared, slots.spreadDiagonalSquared, hd.map { $0 * $0 }),
                                                (slots.ratioNoise, slots.spreadNoise, model.noiseDiagonal)] {
                if let vector { layout.setTheory(vector) { kind(v[$0] / predictor[$0]) } }
                if let scalar { layout.setTheory(scalar, .limit(Self.logSpread(v, predictor))) }
            }
        }
        self.slots = slots
        outputs = layout.outputs
        unavailable = layout.missing
        fixedPoint = u
    }

    /// ‖Σ/‖Σ‖_F − I/‖I‖_F‖_F and ‖Σ/‖Σ‖_F − D/‖D‖_F‖_F for D = diag(`inversePreconditioner`).
    static func covarianceDistances(_ sigma: [Double], inversePreconditioner p: [Double], _ d: Int) -> (identity: Double, preconditioner: Double) {
        let norm = sigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let pNorm = p.reduce(0) { $0 + $1 * $1 }.squareRoot(), iNorm = Double(d).squareRoot()
        var identity = 0.0, preconditioner = 0.0
        for i in 0..<d {
            for j in 0..<d {
                let x = sigma[i * d + j] / norm
                let (a, b) = i == j ? (x - 1 / iNorm, x - p[i] / pNorm) : (x, x)
                identity += a * a
                preconditioner += b * b
            }
        }
        return (identity.squareRoot(), preconditioner.squareRoot())
    }

    /// The sd over coordinates (divisor d) of log(vᵢ/pᵢ): 0 exactly when v ∝ p.
    static func logSpread(_ v: [Double], _ p: [Double]) -> Double {
        let logs = zip(v, p).map { log($0 / $1) }
        let mean = logs.reduce(0, +) / Double(logs.count)
        return (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(logs.count)).squareRoot()
    }


    /// The fixed point uᵢ (RMSProp, Adam), for `sqrt_v_gap`.
    let fixedPoint: [Double]?
    /// γ, when the cell writes `passage`.
    let passageTarget: Double?

    public func makeWorkspace() throws -> Chain { try Chain(dimension: h.count, dense: dense != nil) }

    public func replicate(_ stream: RandomStream, _ chain: inout Chain, _ statistics: StatisticsRow) throws {
        if let dense {
            try chain.runDense(self, dense, stream)
            writeDense(chain, dense, statistics)
        } else {
            try chain.run(self, stream)
        }
        let d = h.count, n = Double(steps - burnIn)
        let v = chain.sumGradientSquares.map { $0 / n }, variance = chain.sumDeltaSquares.map { $0 / n }
        for i in 0..<d { (statistics[slots.v, i], statistics[slots.varianceOfDelta, i]) = (v[i], variance[i]) }
        if let newton = slots.newtonRatio { for i in 0..<d { statistics[newton, i] = chain.sumNewtonRatio[i] / n } }
        if let gap = slots.sqrtVGap, let fixedPoint { for i in 0..<d { statistics[gap, i] = v[i].squareRoot() / fixedPoint[i] - 1 } }
        statistics[slots.sharpness] = chain.sumSharpness / n
        func exponent(_ indices: [Int]) throws -> Double { try LogLogFit.slope(h: indices.map { h[$0] }, v: indices.map { v[$0] })! }
        if let slot = slots.exponentBelow, let below { statistics[slot] = try exponent(below) }
        if let slot = slots.exponentAbove, let above { statistics[slot] = try exponent(above) }
        if let slot = slots.crossover { statistics[slot] = crossover }
        // No crossing in this chain's v: NaN, which the engine reports as a failed estimate.
        if let slot = slots.passage, let gamma = passageTarget { statistics[slot] = Self.passage(h, v, gamma: gamma) ?? .nan }
        if let slot = slots.varianceSlope { statistics[slot] = try LogLogFit.slope(h: h, v: variance)! }
    }

    /// The dense cell's own statistics (``Dynamics``): preconditioned sharpness, Cov(δ) against I
    /// and P⁻¹, v against diag(H²), diag(H)² and diag(C/B).
    private func writeDense(_ chain: Chain, _ model: DenseModel, _ statistics: StatisticsRow) {
        let (d, n) = (h.count, Double(steps - burnIn))
        if let slot = slots.preconditionedSharpness { statistics[slot] = chain.sumPreconditionedSharpness / Double(chain.preconditionedSharpnessCount) }
        if let slot = slots.preconditionedSharpnessFinal { statistics[slot] = chain.finalPreconditionedSharpness }
        var sigma = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0...i { let x = chain.covarianceSum[i * d + j] / n; (sigma[i * d + j], sigma[j * d + i]) = (x, x) } }
        // The time average of 1/(√v̂ᵢ + ε), from the kernel's ratios ηHᵢᵢ/(√v̂ᵢ + ε) (1/1 for SGD).
        let inverse = (0..<d).map { chain.sumNewtonRatio[$0] / n / (lr * h[$0]) }
        let distances = Self.covarianceDistances(sigma, inversePreconditioner: inverse, d)
        if let slot = slots.covarianceDistanceIdentity { statistics[slot] = distances.identity }
        if let slot = slots.covarianceDistancePreconditioner { statistics[slot] = distances.preconditioner }
        let v = (0..<d).map { chain.sumGradientSquares[$0] / n }
        for (vector, scalar, predictor) in [(slots.ratioHessianSquared, slots.spreadHessianSquared, model.hessianSquaredDiagonal),
                                            (slots.ratioDiagonalSquared, slots.spreadDiagonalSquared, h.map { $0 * $0 }),
                                            (slots.ratioNoise, slots.spreadNoise, model.noiseDiagonal)] {
            if let vector { for i in 0..<d { statistics[vector, i] = v[i] / predictor[i] } }
            if let scalar { statistics[scalar] = Self.logSpread(v, predictor) }
        }
    }
}

/// A chain that left every bound: the step size is beyond what the optimizer can sustain.
struct Divergence: Error, CustomStringConvertible {
    let step: Int, coordinate: Int
    var description: String {
        "the chain diverged at step \(step) (coordinate \(coordinate) overflowed); lower lr or raise eps"
    }
}
