import Foundation
import GSL
import MonteCarlo

/// The Gauss–Newton law and its passage to the square-root law (docs/SCIENCE.md C4, T3).
///
/// Squared loss ½(y − f_θ(x))² with inputs x ~ N(0, diag(h)) and y = f_θ*(x) + ε. Each sample
/// is one minibatch mean gradient g_B = (1/B)·Σ_b −(y_b − f_θ(x_b))·J_b, J = ∂f/∂θ, taken at
/// θ = θ* + δ with δ ~ N(0, s²I) drawn afresh, independently of the batch.
///
/// For the linear model f = θᵀx (so H = H_GN = diag(h)) and ε ~ N(0, σₙ²), T3 gives
///
///     E[g_B,ᵢ²] = s²(1 + 1/B)·hᵢ² + (σₙ² + s²·Σⱼhⱼ)·hᵢ/B,
///
/// slope 1 at θ* (C4: σₙ²h/B) and slope 2 far from it (C2: s²h²). Written v = a·h² + c·h, the
/// two terms are equal at h_c = c/a = (σₙ² + s²Σh)/(s²(B + 1)) (≈ (σₙ² + s²Σh)/(Bs²) of docs/SCIENCE.md
/// for large B); each replication fits v/h = a·h + c across coordinates.
///
/// Two models where C4's "≈" steps fail, and by how much (`gn_ratio`, v over C4's prediction
/// σₙ²·E[JᵢJᵢ]/B, with E[JJᵀ] estimated from the same draws):
/// - `noise: "heteroscedastic"`: Var(ε | x) = σₙ²·‖x‖²/Σh (mean σₙ², growing with the input),
///   so E[J r rᵀ Jᵀ]ᵢᵢ = σₙ²hᵢ(1 + 2hᵢ/Σh) ≠ σₙ²E[JJᵀ]ᵢᵢ: an h² term that mimics the square-root law;
///   the theory adds it: E[g_B,ᵢ²] = T3 + 2σₙ²hᵢ²/(BΣh).
/// - `model: "tanh"`: f = tanh(θᵀx) with θ*ⱼ = 1/√(d·hⱼ) (so θ*ᵀx ~ N(0, 1)); away from θ*
///   the residual carries f_θ* − f_θ, correlated with J, and no closed form is given.
public struct GaussNewton: Study {
    public static let name = "gauss-newton"
    public static let summary = "minibatch gradients of a squared loss: the Gauss–Newton law σ²H/B and its passage to the square-root law (T3)"
    /// f = θᵀx, or tanh(θᵀx).
    public enum Model: String, Choice { case linear, tanh }
    /// Var(ε | x) = σₙ², or σₙ²·‖x‖²/Σh.
    public enum Noise: String, Choice { case homoscedastic, heteroscedastic }

    public static let spectrum = Parameter<Spectrum>("spectrum", "h, the variances of the inputs x (H = diag(h) for the linear model)")
    public static let noiseSigma = Parameter<Double>("noise_sigma", .positive, "σₙ, the sd of the label noise ε")
    public static let batch = Parameter<Int>("batch", minimum: 1, default: 1, "B, the minibatch size")
    public static let spread = Parameter<Double>("spread", .nonNegative, default: 0, "s, the sd of δ = θ − θ* ~ N(0, s²I)")
    public static let samples = Parameter<Int>("samples", minimum: 1, "minibatch gradients per replication")
    public static let model = Parameter<Model>("model", default: .linear, "f = θᵀx, or tanh(θᵀx)")
    public static let noise = Parameter<Noise>("noise", default: .homoscedastic, "Var(ε | x) = σₙ², or σₙ²·‖x‖²/Σh")
    public static let parameters = [spectrum.erased, noiseSigma.erased, batch.erased, spread.erased, samples.erased,
                                    model.erased, noise.erased]

    let h: [Double]
    let noiseSigma: Double, spread: Double
    let batch: Int, samples: Int
    let isTanh: Bool, isHeteroscedastic: Bool
    /// θ* of the tanh model (unused by the linear one, whose gradient depends on δ only).
    let optimum: [Double]
    let slots: Slots
    public let outputs: [Output]
    public let unavailable: [Output]

    /// Where a replication writes: v = E[g_B²] (T3); the slope of log v on log h and the local
    /// slopes (they need distinct h); C4's prediction σₙ²E[JᵢJᵢ]/B and v over it; and, away from
    /// θ* (s > 0), the coefficients a and c of v = a·h² + c·h, whose ratio of means is h_c.
    public struct Slots: Sendable {
        let v: VectorSlot
        let slope: Slot?
        let localSlope: VectorSlot?
        let gaussNewtonLaw: VectorSlot, gaussNewtonRatio: VectorSlot
        let sqrtCoefficient: Slot?, gaussNewtonCoefficient: Slot?
        let crossover: RatioOutput?
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let d = cell[spectrum].count
        let distinct = cell[spectrum].hasDistinctValues
        let v = layout.vector(Quantities.v, count: d)!
        let slope = layout.scalar(Quantities.slope, when: distinct, otherwise: "a slope needs two distinct h")
        let localSlope = layout.vector(Quantities.localSlope, count: d, when: d >= 2 && Set(cell[spectrum].values).count == d)
        let law = layout.vector(Quantities.gnLaw, count: d)!, ratio = layout.vector(Quantities.gnRatio, count: d)!
        let crossing = cell[spread] > 0 && distinct
        let a = layout.scalar(Quantities.sqrtCoefficient, when: crossing), c = layout.scalar(Quantities.gnCoefficient, when: crossing)
        let crossover = a.flatMap { a in c.map { c in layout.ratio(Quantities.hC, of: c, over: a) } }
        return Slots(v: v, slope: slope, localSlope: localSlope, gaussNewtonLaw: law, gaussNewtonRatio: ratio,
                     sqrtCoefficient: a, gaussNewtonCoefficient: c, crossover: crossover)
    }

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// Away from θ* (s > 0), where T3's two terms cross: h_c = c/a with a = s²(1 + 1/B) and
    /// c = (σₙ² + s²Σh)/B (homoscedastic linear model).
    public static func notes(_ cell: Cell) -> [String] {
        let s = cell[spread], b = Double(cell[batch]), sigmaN = cell[noiseSigma], h = cell[spectrum].values
        guard s > 0 else { return [] }
        let a = s * s * (1 + 1 / b), c = (sigmaN * sigmaN + s * s * h.reduce(0, +)) / b
        return [crossoverNote(c / a, h, margin: 1)]
    }

    /// d = the spectrum's count: h and θ* (design); preparing a cell computes the theory in
    /// three arrays of d (v, the Gauss–Newton law, the optional ratios at twice the size), the
    /// set of distinct h and the slope fits; a worker holds eight arrays of d, and each
    /// replication allocates the input scales, v/h and the slope fits.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell[spectrum].count)
        let fits = LogLogFit.slopeBytes(d) + LogLogFit.localSlopesBytes(d)
        return MemoryNeed(design: MemoryNeed.doubles(2 * d),
                          preparation: MemoryNeed.doubles(4 * d) + MemoryNeed.setOfDoubles(d) + fits,
                          workspace: MemoryNeed.doubles(10 * d) + fits, parameter: spectrum.name)
    }

    /// Theory kinds. v, C4's law and the coefficients a, c are linear in per-replication means of
    /// unbiased draws: exact; so is h_c = c̄/ā, a ratio of means whose O(1/R) bias is far below
    /// its O(1/√R) MCSE. The slopes are fits of log v̂, nonlinear: exact only at θ* with
    /// homoscedastic noise (s = 0), where g_B,ᵢ/√hᵢ has the same law for every i, so the bias of
    /// log v̂ᵢ is the same constant for every i and cancels in the slopes; elsewhere T3 holds for
    /// them only as samples → ∞ (a limit). v/C4 at θ* with homoscedastic noise: given the inputs,
    /// E[v̂ᵢ | x] is exactly the estimated C4 law, so E[v̂ᵢ/laŵᵢ] = 1 for any model (exact);
    /// elsewhere the ratio of expectations holds only as samples → ∞.
    public init(cell: Cell, design: RandomStream) throws {
        let h = cell[Self.spectrum].values
        let d = h.count
        let (sigmaN, s, b) = (cell[Self.noiseSigma], cell[Self.spread], Double(cell[Self.batch]))
        self.h = h
        (noiseSigma, spread, batch, samples) = (sigmaN, s, cell[Self.batch], cell[Self.samples])
        let isTanh = cell[Self.model] == .tanh, isHeteroscedastic = cell[Self.noise] == .heteroscedastic
        (self.isTanh, self.isHeteroscedastic) = (isTanh, isHeteroscedastic)
        optimum = h.map { 1 / (Double(d) * $0).squareRoot() }

        // Closed forms exist for the linear model: E[g²]ᵢ = a·hᵢ² + c·hᵢ.
        let sumH = h.reduce(0, +)
        let a = s * s * (1 + 1 / b) + (isHeteroscedastic ? 2 * sigmaN * sigmaN / (b * sumH) : 0)
        let c = (sigmaN * sigmaN + s * s * sumH) / b
        let v: [Double]? = isTanh ? nil : h.map { a * $0 * $0 + c * $0 }
        let gnLaw = h.map { sigmaN * sigmaN * $0 / b }
        // At θ* with homoscedastic noise, E[ggᵀ] = σₙ²E[JJᵀ]/B exactly, for any model.
        let gnRatio: [Double?] = v.map { v in zip(v, gnLaw).map { $0 / $1 } }
            ?? Array(repeating: s == 0 && !isHeteroscedastic ? 1 : nil, count: d)

        let atOptimum = s == 0 && !isHeteroscedastic
        let fitKind: @Sendable (Double) -> Theory = { atOptimum ? .exact($0) : .limit($0) }
        var layout = OutputLayout()
        let slots = Self.declareOutputs(cell, &layout)
        layout.setCurvature(h)
        if let v {
            layout.setTheory(slots.v) { .exact(v[$0]) }
            if let slope = slots.slope, let fit = try LogLogFit.slope(h: h, v: v) { layout.setTheory(slope, fitKind(fit)) }
            if let local = slots.localSlope, let fits = LogLogFit.localSlopes(h: h, v: v) { layout.setTheory(local) { fitKind(fits[$0]) } }
            layout.setTheory(slots.gaussNewtonLaw) { .exact(gnLaw[$0]) }
            if let slot = slots.sqrtCoefficient { layout.setTheory(slot, .exact(a)) }
            if let slot = slots.gaussNewtonCoefficient { layout.setTheory(slot, .exact(c)) }
            if let crossover = slots.crossover { layout.setTheory(crossover, .exact(c / a)) }
        }
        layout.setTheory(slots.gaussNewtonRatio) { gnRatio[$0].map(fitKind) ?? .none }
        self.slots = slots
        outputs = layout.outputs
        unavailable = layout.missing
    }

    /// Per-worker buffers: δ, θ, one input x, the batch gradient, and the running sums.
    public final class Workspace {
        /// `x` holds d + 1 numbers: an input's d coordinates, then the standard normal draw of
        /// its noise ε; each draw set is made by one ``RandomStream/fillGaussian(_:)``.
        var delta: [Double], theta: [Double], x: [Double], gradient: [Double]
        /// Σ g² and Σ J² over the current block of samples, and their totals (``BlockedSummation``).
        var sumSquares: [Double], sumJacobianSquares: [Double], totalSquares: [Double], totalJacobianSquares: [Double]
        init(dimension d: Int) {
            let zeros = [Double](repeating: 0, count: d)
            (delta, theta, x, gradient, sumSquares, sumJacobianSquares) = (zeros, zeros, zeros + [0], zeros, zeros, zeros)
            (totalSquares, totalJacobianSquares) = (zeros, zeros)
        }
    }

    public func makeWorkspace() throws -> Workspace { Workspace(dimension: h.count) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace, _ statistics: StatisticsRow) throws {
        let d = h.count
        let sumH = h.reduce(0, +)
        let inputScale = h.map { $0.squareRoot() }
        inputScale.withUnsafeBufferPointer { scale in
        optimum.withUnsafeBufferPointer { thetaStar in
        workspace.delta.withUnsafeMutableBufferPointer { delta in
        workspace.theta.withUnsafeMutableBufferPointer { theta in
        workspace.x.withUnsafeMutableBufferPointer { x in
        workspace.gradient.withUnsafeMutableBufferPointer { g in
        workspace.sumSquares.withUnsafeMutableBufferPointer { sumSquares in
        workspace.sumJacobianSquares.withUnsafeMutableBufferPointer { sumJJ in
        workspace.totalSquares.withUnsafeMutableBufferPointer { totalSquares in
        workspace.totalJacobianSquares.withUnsafeMutableBufferPointer { totalJJ in
            for i in 0..<d { (sumSquares[i], sumJJ[i], totalSquares[i], totalJJ[i]) = (0, 0, 0, 0) }
            for sample in 1...samples {
                if spread > 0 { stream.fillGaussian(delta) }
                for i in 0..<d {
                    delta[i] = spread > 0 ? spread * delta[i] : 0
                    theta[i] = thetaStar[i] + delta[i]
                    g[i] = 0
                }
                for _ in 0..<batch {
                    var normSquared = 0.0, xDelta = 0.0, u = 0.0, uStar = 0.0
                    stream.fillGaussian(x)  // x's d standard normals, then ε's
                    for i in 0..<d {
                        x[i] = scale[i] * x[i]
                        normSquared += x[i] * x[i]
                        xDelta += x[i] * delta[i]
                        u += theta[i] * x[i]
                        uStar += thetaStar[i] * x[i]
                    }
                    let noiseSD = isHeteroscedastic ? noiseSigma * (normSquared / sumH).squareRoot() : noiseSigma
                    let epsilon = noiseSD * x[d]
                    // ∂/∂θ ½(y − f_θ(x))² = −(y − f_θ(x))·J, y = f_θ*(x) + ε.
                    let residual: Double, jacobianScale: Double
                    if isTanh {
                        let f = tanh(u)
                        jacobianScale = 1 - f * f
                        residual = tanh(uStar) + epsilon - f
                    } else {
                        jacobianScale = 1
                        residual = epsilon - xDelta
                    }
                    for i in 0..<d {
                        let j = jacobianScale * x[i]
                        g[i] -= residual * j
                        sumJJ[i] += j * j
                    }
                }
                for i in 0..<d {
                    let gi = g[i] / Double(batch)
                    sumSquares[i] += gi * gi
                }
                if BlockedSummation.closesBlock(sample) {
                    BlockedSummation.fold(sumSquares, into: totalSquares)
                    BlockedSummation.fold(sumJJ, into: totalJJ)
                }
            }
            BlockedSummation.fold(sumSquares, into: totalSquares)
            BlockedSummation.fold(sumJJ, into: totalJJ)
            for i in 0..<d { statistics[slots.v, i] = totalSquares[i] / Double(samples) }
        }}}}}}}}}}
        let v = statistics.values(slots.v)
        if let slope = slots.slope { statistics[slope] = try LogLogFit.slope(h: h, v: v)! }
        if let local = slots.localSlope {
            for (i, s) in LogLogFit.localSlopes(h: h, v: v)!.enumerated() { statistics[local, i] = s }
        }
        let draws = Double(samples) * Double(batch)  // exact below 2^53, and never traps
        for i in 0..<d {
            let law = noiseSigma * noiseSigma * workspace.totalJacobianSquares[i] / draws / Double(batch)
            statistics[slots.gaussNewtonLaw, i] = law
            statistics[slots.gaussNewtonRatio, i] = v[i] / law
        }
        if let a = slots.sqrtCoefficient, let c = slots.gaussNewtonCoefficient {
            // v/h = a·h + c: OLS on h gives the square-root coefficient a and the Gauss–Newton
            // coefficient c; h_c = c̄/ā is formed from their means by the engine.
            let fit = try LinearFit(x: h, y: zip(v, h).map { $0 / $1 })
            statistics[a] = fit.slope
            statistics[c] = fit.intercept
        }
    }
}
