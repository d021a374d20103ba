import Foundation
import GSL
import MonteCarlo

/// The Gauss–Newton law and its passage to the square-root law (STUDIES.md C4, T3).
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
/// two terms are equal at h_c = c/a = (σₙ² + s²Σh)/(s²(B + 1)) (≈ (σₙ² + s²Σh)/(Bs²) of STUDIES.md
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
    public static let parameters: [Parameter] = [
        Parameter("spectrum", .spectrum, "h, the variances of the inputs x (H = diag(h) for the linear model)"),
        Parameter("noise_sigma", .number(.positive), "σₙ, the sd of the label noise ε"),
        Parameter("batch", .integer(minimum: 1), default: .integer(1), "B, the minibatch size"),
        Parameter("spread", .number(.nonNegative), default: .number(0), "s, the sd of δ = θ − θ* ~ N(0, s²I)"),
        Parameter("samples", .integer(minimum: 1), "minibatch gradients per replication"),
        Parameter("model", .choice(["linear", "tanh"]), default: .choice("linear"), "f = θᵀx, or tanh(θᵀx)"),
        Parameter("noise", .choice(["homoscedastic", "heteroscedastic"]), default: .choice("homoscedastic"),
                  "Var(ε | x) = σₙ², or σₙ²·‖x‖²/Σh"),
    ]

    let h: [Double]
    let noiseSigma: Double, spread: Double
    let batch: Int, samples: Int
    let isTanh: Bool, isHeteroscedastic: Bool
    /// θ* of the tanh model (unused by the linear one, whose gradient depends on δ only).
    let optimum: [Double]
    /// Whether the slope, local slopes and the crossover h_c are reported (they need distinct h).
    let hasSlope: Bool, hasLocalSlopes: Bool, hasCrossover: Bool
    public let outputs: [Output]

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    /// d = the spectrum's count: h and θ* (design); preparing a cell computes the theory in
    /// three arrays of d (v, the Gauss–Newton law, the optional ratios at twice the size), the
    /// set of distinct h and the slope fits; a worker holds eight arrays of d, and each
    /// replication allocates the input scales, v/h and the slope fits.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell.spectrum("spectrum").count)
        let fits = LogLogFit.slopeBytes(d) + LogLogFit.localSlopesBytes(d)
        return MemoryNeed(design: MemoryNeed.doubles(2 * d),
                          preparation: MemoryNeed.doubles(4 * d) + MemoryNeed.setOfDoubles(d) + fits,
                          workspace: MemoryNeed.doubles(10 * d) + fits,
                          outputs: 4 * d + 4, parameter: "spectrum")
    }

    public init(cell: Cell, design: RandomStream) throws {
        let h = cell.spectrum("spectrum").values
        let d = h.count
        let (sigmaN, s, b) = (cell.number("noise_sigma"), cell.number("spread"), Double(cell.integer("batch")))
        self.h = h
        (noiseSigma, spread, batch, samples) = (sigmaN, s, cell.integer("batch"), cell.integer("samples"))
        let isTanh = cell.choice("model") == "tanh", isHeteroscedastic = cell.choice("noise") == "heteroscedastic"
        (self.isTanh, self.isHeteroscedastic) = (isTanh, isHeteroscedastic)
        optimum = h.map { 1 / (Double(d) * $0).squareRoot() }
        let distinct = Set(h).count
        hasSlope = distinct > 1
        hasLocalSlopes = d >= 2 && distinct == d
        hasCrossover = s > 0 && distinct > 1

        // Closed forms exist for the linear model: E[g²]ᵢ = a·hᵢ² + c·hᵢ.
        let sumH = h.reduce(0, +)
        let a = s * s * (1 + 1 / b) + (isHeteroscedastic ? 2 * sigmaN * sigmaN / (b * sumH) : 0)
        let c = (sigmaN * sigmaN + s * s * sumH) / b
        let v: [Double]? = isTanh ? nil : h.map { a * $0 * $0 + c * $0 }
        let gnLaw = h.map { sigmaN * sigmaN * $0 / b }
        // At θ* with homoscedastic noise, E[ggᵀ] = σₙ²E[JJᵀ]/B exactly, for any model.
        let gnRatio: [Double?] = v.map { v in zip(v, gnLaw).map { $0 / $1 } }
            ?? Array(repeating: s == 0 && !isHeteroscedastic ? 1 : nil, count: d)

        var outputs: [Output] = []
        outputs.reserveCapacity(4 * d + 4)
        outputs += (0..<d).lazy.map { Output("v", index: $0, theory: v?[$0]) }
        if hasSlope { outputs.append(Output("slope", theory: try v.flatMap { try LogLogFit.slope(h: h, v: $0) })) }
        if hasLocalSlopes {
            let theory = v.flatMap { LogLogFit.localSlopes(h: h, v: $0) }
            outputs += (0..<d).lazy.map { Output("local_slope", index: $0, theory: theory?[$0]) }
        }
        outputs += (0..<d).lazy.map { Output("gn_law", index: $0, theory: isTanh ? nil : gnLaw[$0]) }
        outputs += (0..<d).lazy.map { Output("gn_ratio", index: $0, theory: gnRatio[$0]) }
        if hasCrossover {
            let first = outputs.count
            outputs += [
                Output("sqrt_coefficient", theory: isTanh ? nil : a),
                Output("gn_coefficient", theory: isTanh ? nil : c),
                Output("h_c", theory: isTanh ? nil : c / a, summary: .ratio(numerator: first + 1, denominator: first)),
            ]
        }
        self.outputs = outputs
    }

    /// Per-worker buffers: δ, θ, one input x, the batch gradient, and the running sums.
    public final class Workspace {
        var delta: [Double], theta: [Double], x: [Double], gradient: [Double]
        /// Σ g² and Σ J² over the current block of samples, and their totals (``BlockedSummation``).
        var sumSquares: [Double], sumJacobianSquares: [Double], totalSquares: [Double], totalJacobianSquares: [Double]
        init(dimension d: Int) {
            let zeros = [Double](repeating: 0, count: d)
            (delta, theta, x, gradient, sumSquares, sumJacobianSquares) = (zeros, zeros, zeros, zeros, zeros, zeros)
            (totalSquares, totalJacobianSquares) = (zeros, zeros)
        }
    }

    public func makeWorkspace() throws -> Workspace { Workspace(dimension: h.count) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace,
                          _ statistics: UnsafeMutableBufferPointer<Double>) throws {
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
                for i in 0..<d {
                    delta[i] = spread > 0 ? spread * stream.gaussian() : 0
                    theta[i] = thetaStar[i] + delta[i]
                    g[i] = 0
                }
                for _ in 0..<batch {
                    var normSquared = 0.0, xDelta = 0.0, u = 0.0, uStar = 0.0
                    for i in 0..<d {
                        x[i] = scale[i] * stream.gaussian()
                        normSquared += x[i] * x[i]
                        xDelta += x[i] * delta[i]
                        u += theta[i] * x[i]
                        uStar += thetaStar[i] * x[i]
                    }
                    let noiseSD = isHeteroscedastic ? noiseSigma * (normSquared / sumH).squareRoot() : noiseSigma
                    let epsilon = noiseSD * stream.gaussian()
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
            for i in 0..<d { statistics[i] = totalSquares[i] / Double(samples) }
        }}}}}}}}}}
        let v = UnsafeMutableBufferPointer(rebasing: statistics[0..<d])
        var k = d
        if hasSlope {
            statistics[k] = try LogLogFit.slope(h: h, v: v)!
            k += 1
        }
        if hasLocalSlopes {
            for s in LogLogFit.localSlopes(h: h, v: v)! { statistics[k] = s; k += 1 }
        }
        let draws = Double(samples) * Double(batch)  // exact below 2^53, and never traps
        for i in 0..<d {
            statistics[k + i] = noiseSigma * noiseSigma * workspace.totalJacobianSquares[i] / draws / Double(batch)
            statistics[k + d + i] = v[i] / statistics[k + i]
        }
        k += 2 * d
        if hasCrossover {
            // v/h = a·h + c: OLS on h gives the square-root coefficient a and the Gauss–Newton
            // coefficient c; h_c = c̄/ā is formed from their means by the engine.
            let fit = try LinearFit(x: h, y: zip(v, h).map { $0 / $1 })
            statistics[k] = fit.slope
            statistics[k + 1] = fit.intercept
        }
    }
}
