import Foundation
import GSL
import MonteCarlo

/// Raw against centred second moments away from the optimum (docs/SCIENCE.md C5, T6).
///
/// Each step draws δ ~ N(c·1, σ²I) afresh and g = h⊙δ (diagonal H), so gᵢ is i.i.d. with mean
/// μᵢ = hᵢc (the gradient g* ≠ 0 at the point δ is centred on) and variance Vᵢ = σ²hᵢ². Adam's
/// bias-corrected EMA of g² tends to E[g²] = (hᵢc)² + σ²hᵢ², carrying the bias g*⊙g*;
/// AdaBelief's EMA of (g − m)², with m updated first, tends to 2β₁²/(1+β₁)·σ²hᵢ²: the curvature up to
/// a known factor, whatever c is.
///
/// Both are time-averaged over steps burn_in+1…steps of each chain; chains are independent
/// replications, so the MCSE (spread across chains) accounts for the autocorrelation in time.
/// The theory of the centred average is its exact expectation at finite time (``centredExpectation``),
/// which tends to 2β₁²/(1+β₁)·σ²hᵢ² once the burn-in outlasts the EMAs' memory of m₀ = 0.
public struct AdaBeliefCurvature: Study {
    public static let name = "adabelief"
    public static let summary = "raw EMA of g² against AdaBelief's EMA of (g − m)² around a point with g* ≠ 0 (T6)"
    public static let spectrum = Parameter<Spectrum>("spectrum", "h, the diagonal of H")
    public static let sigma = Parameter<Double>("sigma", .positive, "σ: δ ~ N(c·1, σ²I)")
    public static let offset = Parameter<Double>("offset", .finite, "c, the mean of δ (g* = H·c·1)")
    public static let beta1 = Parameter<Double>("beta1", .unitHalfOpen, default: 0.9, "β₁ of m")
    public static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, default: 0.999, "β₂ of both second-moment EMAs")
    public static let steps = Parameter<Int>("steps", minimum: 1, "steps per chain")
    public static let burnIn = Parameter<Int>("burn_in", minimum: 0, default: 0, "steps left out of the time averages")
    public static let parameters = [spectrum.erased, sigma.erased, offset.erased, beta1.erased, beta2.erased, steps.erased, burnIn.erased]

    let h: [Double]
    let sigma: Double, offset: Double, beta1: Double, beta2: Double
    let steps: Int, burnIn: Int
    /// 2β₁²/(1+β₁): AdaBelief's EMA of (g − m)² over the variance of g, at stationarity.
    let centredFactor: Double
    let slots: Slots
    public let outputs: [Output]

    /// Where a replication writes: the time averages of Adam's v̂ and of AdaBelief's ŝ per
    /// coordinate, and each one's relative error as an estimate of h.
    public struct Slots: Sendable {
        let secondMoment: VectorSlot, centred: VectorSlot
        let curvatureErrorSecondMoment: Slot, curvatureErrorCentred: Slot
    }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let d = cell[spectrum].count
        return Slots(secondMoment: layout.vector(Quantities.vSecondMoment, count: d)!, centred: layout.vector(Quantities.vCentered, count: d)!,
                     curvatureErrorSecondMoment: layout.scalar(Quantities.curvatureErrorSecondMoment)!,
                     curvatureErrorCentred: layout.scalar(Quantities.curvatureErrorCentered)!)
    }

    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        let steps = cell[steps], burnIn = cell[burnIn]
        guard burnIn < steps else {
            throw CellError(parameter: Self.burnIn.name, message: "must be < steps (\(steps)), got \(burnIn)")
        }
    }

    /// d = the spectrum's count: h (design; the outputs are built in place); five arrays of d per
    /// worker (m, v, s and two block sums); a replication allocates nothing.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let d = Double(cell[spectrum].count)
        return MemoryNeed(design: MemoryNeed.doubles(d), workspace: MemoryNeed.doubles(5 * d), parameter: spectrum.name)
    }

    /// v_second_moment: v̂ is unbiased at every t, so its time average has E = (hᵢc)² + σ²hᵢ²
    /// exactly; v_centered: the exact finite-time expectation (``centredExpectation``).
    public init(cell: Cell, design: RandomStream) throws {
        let h = cell[Self.spectrum].values
        let sigma = cell[Self.sigma], c = cell[Self.offset]
        let beta1 = cell[Self.beta1], beta2 = cell[Self.beta2]
        let steps = cell[Self.steps], burnIn = cell[Self.burnIn]
        (self.h, self.sigma, offset, self.beta1, self.beta2, self.steps, self.burnIn) = (h, sigma, c, beta1, beta2, steps, burnIn)
        centredFactor = 2 * beta1 * beta1 / (1 + beta1)
        let (variancePart, meanPart) = Self.centredExpectation(beta1: beta1, beta2: beta2, steps: steps, burnIn: burnIn)
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        layout.setCurvature(h)
        layout.setTheory(slots.secondMoment) { i in .exact(h[i] * h[i] * (c * c + sigma * sigma)) }
        layout.setTheory(slots.centred) { i in .exact(h[i] * h[i] * (sigma * sigma * variancePart + c * c * meanPart)) }
        outputs = layout.outputs
    }

    /// The expected time average of AdaBelief's bias-corrected ŝₜ, for V = μ² = 1, split as
    /// (variance part, mean part): E[avg ŝ] = V·(variance part) + μ²·(mean part).
    ///
    /// With m₀ = 0, gᵤ − mᵤ = β₁(gᵤ − mᵤ₋₁), E[mᵤ₋₁] = (1−β₁^(u−1))μ and
    /// Var(mᵤ₋₁) = (1−β₁)(1−β₁^(2(u−1)))/(1+β₁)·V, so
    /// eᵤ = E[(gᵤ − mᵤ)²] = β₁²·[V·(1 + (1−β₁)(1−β₁^(2(u−1)))/(1+β₁)) + μ²β₁^(2(u−1))],
    /// and E[ŝₜ] = Σᵤ (1−β₂)β₂^(t−u)eᵤ/(1−β₂ᵗ), averaged over t = burn_in+1…steps. As the burn-in
    /// grows the variance part tends to 2β₁²/(1+β₁) and the mean part to 0.
    static func centredExpectation(beta1: Double, beta2: Double, steps: Int, burnIn: Int) -> (Double, Double) {
        var sVariance = 0.0, sMean = 0.0, sumVariance = 0.0, sumMean = 0.0
        var beta1Power2 = 1.0  // β₁^(2(u−1))
        for t in 1...steps {
            let eVariance = beta1 * beta1 * (1 + (1 - beta1) * (1 - beta1Power2) / (1 + beta1))
            let eMean = beta1 * beta1 * beta1Power2
            beta1Power2 *= beta1 * beta1
            sVariance = beta2 * sVariance + (1 - beta2) * eVariance
            sMean = beta2 * sMean + (1 - beta2) * eMean
            if t > burnIn {
                let correction = biasCorrection(beta2, t)
                sumVariance += sVariance * correction
                sumMean += sMean * correction
            }
        }
        let n = Double(steps - burnIn)
        return (sumVariance / n, sumMean / n)
    }

    /// One chain's state: m, v, s and the sums of v̂ and ŝ over the current block of steps, per
    /// coordinate (the totals are kept in the statistics; see ``BlockedSummation``).
    public final class Workspace {
        var m: [Double], v: [Double], s: [Double], sumV: [Double], sumS: [Double]
        /// One step's d standard normal draws, made by one ``RandomStream/fillGaussian(_:)``.
        var z: [Double]
        init(dimension d: Int) {
            let zeros = [Double](repeating: 0, count: d)
            (m, v, s, sumV, sumS, z) = (zeros, zeros, zeros, zeros, zeros, zeros)
        }
    }

    public func makeWorkspace() throws -> Workspace { Workspace(dimension: h.count) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace, _ statistics: StatisticsRow) throws {
        let d = h.count
        let (beta1, beta2, sigma, c) = (beta1, beta2, sigma, offset)
        h.withUnsafeBufferPointer { h in
            workspace.m.withUnsafeMutableBufferPointer { m in
            workspace.v.withUnsafeMutableBufferPointer { v in
            workspace.s.withUnsafeMutableBufferPointer { s in
            workspace.sumV.withUnsafeMutableBufferPointer { sumV in
            workspace.sumS.withUnsafeMutableBufferPointer { sumS in
            workspace.z.withUnsafeMutableBufferPointer { z in
                let totalV = statistics.values(slots.secondMoment), totalS = statistics.values(slots.centred)
                for i in 0..<d { (m[i], v[i], s[i], sumV[i], sumS[i], totalV[i], totalS[i]) = (0, 0, 0, 0, 0, 0, 0) }
                for t in 1...steps {
                    let averaging = t > burnIn, correction = biasCorrection(beta2, t)
                    stream.fillGaussian(z)
                    for i in 0..<d {
                        let g = h[i] * (c + sigma * z[i])
                        m[i] = beta1 * m[i] + (1 - beta1) * g
                        v[i] = beta2 * v[i] + (1 - beta2) * g * g
                        s[i] = beta2 * s[i] + (1 - beta2) * (g - m[i]) * (g - m[i])
                        if averaging {
                            sumV[i] += v[i] * correction
                            sumS[i] += s[i] * correction
                        }
                    }
                    if BlockedSummation.closesBlock(t) {
                        BlockedSummation.fold(sumV, into: totalV)
                        BlockedSummation.fold(sumS, into: totalS)
                    }
                }
                BlockedSummation.fold(sumV, into: totalV)
                BlockedSummation.fold(sumS, into: totalS)
                let n = Double(steps - burnIn)
                var errorRaw = 0.0, errorCentred = 0.0, norm = 0.0
                for i in 0..<d {
                    let vBar = totalV[i] / n, sBar = totalS[i] / n
                    (totalV[i], totalS[i]) = (vBar, sBar)
                    // Each as an estimate of hᵢ: √v̄/σ, and √(s̄/factor)/σ with AdaBelief's known factor.
                    errorRaw += pow(vBar.squareRoot() / sigma - h[i], 2)
                    errorCentred += pow((sBar / centredFactor).squareRoot() / sigma - h[i], 2)
                    norm += h[i] * h[i]
                }
                statistics[slots.curvatureErrorSecondMoment] = (errorRaw / norm).squareRoot()
                statistics[slots.curvatureErrorCentred] = (errorCentred / norm).squareRoot()
            }}}}}}
        }
    }
}
