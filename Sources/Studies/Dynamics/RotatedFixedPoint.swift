import Foundation
import GSL

/// docs/SCIENCE.md T8: the noisy quadratic model with a full Hessian H and gradient noise of any
/// covariance C/B, under a step whose diagonal preconditioner is frozen at P = diag(p).
///
/// The update is Adam's (RMSProp at β₁ = 0, SGD with p = 1) without bias corrections (they are
/// spent at stationarity): m' = β₁m + (1−β₁)(Hδ + ξ), δ' = δ − ηP⁻¹m', ξ ~ N(0, C/B).
///
/// **Derivation (β₁ ≥ 0).** Put y = P^(1/2)δ, μ = P^(−1/2)m and K = P^(−1/2)HP^(−1/2) = U·diag(κ)·Uᵀ.
/// Then μ' = β₁μ + (1−β₁)(Ky + P^(−1/2)ξ) and y' = y − ημ'. In the eigenbasis, z = Uᵀy and
/// w = Uᵀμ, each mode a is the scalar model of ``NoisyQuadratic`` with curvature κ_a and step η:
///
///     x_a' = A_a·x_a + b·ζ_a,   x_a = (z_a, w_a),
///     A_a = [[1 − η(1−β₁)κ_a, −ηβ₁], [(1−β₁)κ_a, β₁]],   b = (−η(1−β₁), 1−β₁),
///
/// with ζ = UᵀP^(−1/2)ξ of covariance C̃ = UᵀP^(−1/2)(C/B)P^(−1/2)U. The modes share noise, so
/// their cross-covariances S^(ab) = E[x_a·x_bᵀ] (2×2) solve S^(ab) = A_a·S^(ab)·A_bᵀ + b·bᵀ·C̃_ab,
/// a 4×4 linear system per pair, whose (1, 1) entry is Y_ab = C̃_ab·s(κ_a, κ_b) with s the solution
/// for unit noise. At β₁ = 0 this is T8's Y_ab = η²C̃_ab/(1 − (1 − ηκ_a)(1 − ηκ_b)). Then
/// Σ = Cov(δ) = P^(−1/2)·U·Y·Uᵀ·P^(−1/2), and since the step's noise is independent of δ,
/// E[ggᵀ] = HΣH + C/B. Stable while η·κ_a < L = 2(1+β₁)/(1−β₁) for every mode (and κ > 0).
///
/// **The fixed point** (β₂ → 1, RMSProp and Adam): uᵢ² = (E[ggᵀ])ᵢᵢ with p = u + ε. It is found
/// by iterating on u, in ℓ = log u with φ(ℓ) = ½·log diag E[ggᵀ](e^ℓ + ε) − ℓ: first sweeps of
/// nonlinear Gauss–Seidel (each coordinate's φᵢ = 0 by bisection in ℓᵢ with the others held; φᵢ
/// grows without bound towards the stability edge, where the state is counted as φᵢ > 0, and
/// falls as uᵢ grows, so the root is bracketed; at diagonal H and C one sweep is T5's
/// per-coordinate bisection), at most 20 or until max|φ| < 10⁻⁶, then Levenberg–Marquardt
/// (Newton's method as its damping vanishes) with a forward-difference Jacobian (d evaluations)
/// until max|φ| < 10⁻¹³ (accepted at 10⁻¹⁰ when rounding stalls it next to the edge). A plain
/// Newton iteration with a line search was tried first and crawled along the stability barrier.
/// For RMSProp with a rotated H the fixed point is usually pressed against the edge (one mode of
/// K at η·κ ≈ 2 − 10⁻⁴ dominating E[ggᵀ]), where LM crawls along a valley (|φ| still ≈ 1.9 after
/// 400 iterations); then ``scaleAndShape(from:_:)`` takes over. Where neither converges the
/// solver returns nil and the cell's rows keep no theory. Each evaluation is O(d³): products
/// and a Jacobi eigen-decomposition in plain loops (``Portable``), not BLAS and LAPACK, because
/// the path of the iteration, and whether it converges, turns on the last bits of every
/// evaluation next to the edge: with LAPACK a cell converged under one CPU's OpenBLAS kernels
/// and not under another's. It starts where every pᵢ ≥ 2η·λ_max(H)/L (stable by construction).
/// At diagonal H and C it reduces to T5's per-coordinate fixed point (tested).
final class RotatedNQM {
    let dimension: Int
    /// H and the noise covariance C/B, row-major d×d, symmetric.
    let hessian: [Double], noise: [Double]
    let eta: Double, beta1: Double, eps: Double
    /// L = 2(1+β₁)/(1−β₁).
    var limit: Double { 2 * (1 + beta1) / (1 - beta1) }

    init(hessian: [Double], noise: [Double], eta: Double, beta1: Double, eps: Double) {
        dimension = Int(Double(hessian.count).squareRoot())
        precondition(hessian.count == dimension * dimension && noise.count == hessian.count)
        (self.hessian, self.noise, self.eta, self.beta1, self.eps) = (hessian, noise, eta, beta1, eps)
    }

    /// The stationary state with the preconditioner frozen at diag(`p`): Σ = Cov(δ), diag E[ggᵀ]
    /// and η·λ_max(K); nil when some mode is unstable.
    struct State {
        let covariance: [Double]
        let secondMoment: [Double]
        let sharpness: Double
    }

    func stationary(preconditioner p: [Double]) -> State? {
        let d = dimension
        guard p.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let s = p.map { 1 / $0.squareRoot() }
        /// P^(−1/2)·X·P^(−1/2).
        func scaled(_ x: [Double]) -> [Double] { (0..<(d * d)).map { x[$0] * s[$0 / d] * s[$0 % d] } }
        // K = P^(−1/2)HP^(−1/2) = U·diag(κ)·Uᵀ.
        let (kappa, u) = Portable.symmetricEigen(scaled(hessian), n: d)
        guard let low = kappa.first, low > 0, eta * kappa.last! < limit else { return nil }
        // C̃ = Uᵀ·(P^(−1/2)(C/B)P^(−1/2))·U.
        var y = Portable.product(u, Portable.product(scaled(noise), u, n: d), n: d, transposeA: true)
        // Y_ab = C̃_ab·s(κ_a, κ_b).
        for i in 0..<d { for j in i..<d {
            guard let value = modePairVariance(kappa[i], kappa[j]) else { return nil }
            (y[i * d + j], y[j * d + i]) = (y[i * d + j] * value, y[j * d + i] * value)
        } }
        // Σ = P^(−1/2)·U·Y·Uᵀ·P^(−1/2).
        let sigma = scaled(Portable.product(Portable.product(u, y, n: d), u, n: d, transposeB: true))
        // diag(HΣH)ᵢ = Σⱼ (HΣ)ᵢⱼHᵢⱼ (H symmetric), plus (C/B)ᵢᵢ.
        let hs = Portable.product(hessian, sigma, n: d)
        let second = (0..<d).map { i in (0..<d).reduce(0.0) { $0 + hs[i * d + $1] * hessian[i * d + $1] } + noise[i * d + i] }
        return State(covariance: sigma, secondMoment: second, sharpness: eta * kappa.last!)
    }

    /// s(κ_a, κ_b): the (1, 1) entry of S = A_a·S·A_bᵀ + b·bᵀ (4×4 system), nil if singular.
    func modePairVariance(_ ka: Double, _ kb: Double) -> Double? {
        if beta1 == 0 {
            // T8's closed form: η²/(1 − (1 − ηκ_a)(1 − ηκ_b)).
            return eta * eta / (1 - (1 - eta * ka) * (1 - eta * kb))
        }
        func transition(_ k: Double) -> [Double] { [1 - eta * (1 - beta1) * k, -eta * beta1, (1 - beta1) * k, beta1] }
        let (x, y) = (transition(ka), transition(kb)), noise = [-eta * (1 - beta1), 1 - beta1]
        // Unknowns S_ij (row-major, ij = 2i + j): S_ij − Σ_kl x_ik·S_kl·y_jl = noise_i·noise_j.
        var m = [Double](repeating: 0, count: 16), rhs = [Double](repeating: 0, count: 4)
        for i in 0..<2 { for j in 0..<2 {
            let row = 2 * i + j
            rhs[row] = noise[i] * noise[j]
            for k in 0..<2 { for l in 0..<2 { m[row * 4 + 2 * k + l] -= x[2 * i + k] * y[2 * j + l] } }
            m[row * 4 + row] += 1
        } }
        guard solveLinear(&m, &rhs, 4) else { return nil }
        return rhs[0]
    }

    /// The fixed point uᵢ² = (E[ggᵀ])ᵢᵢ at p = u + ε, with its stationary state; nil if no stable
    /// fixed point was reached.
    func fixedPoint() -> (u: [Double], state: State)? {
        let d = dimension
        // Start where every p ≥ 2η·λ_max(H)/L: η·λ_max(K) ≤ L/2.
        let floor = 2 * eta * Portable.symmetricEigen(hessian, n: d).values.last! / limit
        var l = (0..<d).map { log(max(noise[$0 * d + $0].squareRoot(), floor)) }
        func residual(_ l: [Double]) -> ([Double], State)? {
            guard let state = stationary(preconditioner: l.map { exp($0) + eps }) else { return nil }
            return (zip(state.secondMoment, l).map { 0.5 * log($0) - $1 }, state)
        }
        // Nonlinear Gauss–Seidel: each coordinate's equation φᵢ = 0 solved by bisection in ℓᵢ with
        // the others held (φᵢ → +∞ towards the stability edge, counted as positive beyond it,
        // and → −∞ as uᵢ grows), sweep after sweep, until max|φ| < 10⁻⁶; then Newton.
        for _ in 0..<20 {
            var worst = 0.0
            for i in 0..<d {
                func phi(_ x: Double) -> Double? {
                    var trial = l
                    trial[i] = x
                    return residual(trial)?.0[i]
                }
                guard let current = phi(l[i]) else { return nil }
                worst = max(worst, abs(current))
                var (low, high, widen) = (l[i], l[i], 0.25)
                if current > 0 {
                    while true { high += widen; widen *= 2; guard widen < 1e4 else { return nil }; if let f = phi(high), f < 0 { break } }
                } else {
                    while true { low -= widen; widen *= 2; guard widen < 1e4 else { return nil }; if let f = phi(low), f <= 0 { continue }; break }
                }
                for _ in 0..<48 where high - low > 1e-12 {
                    let middle = (low + high) / 2
                    if let f = phi(middle), f < 0 { high = middle } else { low = middle }
                }
                l[i] = high
            }
            if worst < 1e-6 { break }
        }
        guard var (r, state) = residual(l) else { return nil }
        func norm(_ r: [Double]) -> Double { r.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        // Levenberg–Marquardt (Newton's method as the damping μ → 0), with a forward-difference
        // Jacobian J: (JᵀJ + μ·diag(JᵀJ))Δ = −Jᵀφ, μ shrunk after a step that lowers |φ|₂ and
        // stays stable, grown otherwise.
        var mu = 1e-3
        for _ in 0..<400 {
            let size = norm(r)
            if r.map(abs).max()! < 1e-13 { return (l.map(exp), state) }
            let step = 1e-7
            var jacobian = [Double](repeating: 0, count: d * d)
            for j in 0..<d {
                var shifted = l
                shifted[j] += step
                guard let (rj, _) = residual(shifted) else { return nil }
                for i in 0..<d { jacobian[i * d + j] = (rj[i] - r[i]) / step }
            }
            var normal = [Double](repeating: 0, count: d * d), gradient = [Double](repeating: 0, count: d)
            for i in 0..<d {
                for j in 0..<d { var sum = 0.0; for k in 0..<d { sum += jacobian[k * d + i] * jacobian[k * d + j] }; normal[i * d + j] = sum }
                var sum = 0.0; for k in 0..<d { sum += jacobian[k * d + i] * r[k] }; gradient[i] = -sum
            }
            var accepted = false
            while mu < 1e12 {
                var a = normal, delta = gradient
                for i in 0..<d { a[i * d + i] += mu * max(normal[i * d + i], 1e-300) }
                if solveLinear(&a, &delta, d) {
                    let trial = zip(l, delta).map { $0 + $1 }
                    if let (rt, st) = residual(trial), norm(rt) < size {
                        (l, r, state, accepted) = (trial, rt, st, true)
                        mu = max(mu / 4, 1e-15)
                        break
                    }
                }
                mu *= 4
            }
            if !accepted { break }
        }
        if r.map(abs).max()! < 1e-10 { return (l.map(exp), state) }
        return scaleAndShape(from: l, residual)
    }

    /// The fallback for a fixed point pressed against the stability edge, where one mode of K
    /// dominates E[ggᵀ] and φ moves almost only along the overall scale of u (LM crawls there):
    /// alternately the scale c (ℓ + c) by bisection on mean(φ) = 0, the unstable side counted as
    /// positive, and the shape by ℓᵢ += ω(φᵢ − mean φ), ω halved whenever max|φ| grows and grown by
    /// 1.25 (up to 1) when it falls. Converged at max|φ| < 10⁻¹¹; rounding next to the edge
    /// (2 − η·λ_max(K) ~ 10⁻⁴) stalls it near 10⁻⁹, and its linear rate can be slow (thousands
    /// of sweeps), so after at most 6000 the best point is accepted below 10⁻⁷ (u to 10⁻⁷
    /// relative, far below any MCSE).
    private func scaleAndShape(from start: [Double], _ residual: ([Double]) -> ([Double], State)?) -> (u: [Double], state: State)? {
        var l = start, omega = 1.0, previous = Double.infinity
        var best: (l: [Double], state: State?, size: Double) = (start, nil, .infinity)
        func meanResidual(_ c: Double) -> Double? {
            guard let (r, _) = residual(l.map { $0 + c }) else { return nil }
            return r.reduce(0, +) / Double(r.count)
        }
        for _ in 0..<6000 {
            var (low, high, widen) = (0.0, 0.0, 1e-4)
            if let m = meanResidual(0), m < 0 {
                while true { low -= widen; widen *= 2; guard widen < 1e4 else { return nil }; if let m = meanResidual(low), m < 0 { continue }; break }
            } else {
                while true { high += widen; widen *= 2; guard widen < 1e4 else { return nil }; if let m = meanResidual(high), m < 0 { break } }
            }
            for _ in 0..<60 where high - low > 1e-14 {
                let middle = (low + high) / 2
                if let m = meanResidual(middle), m < 0 { high = middle } else { low = middle }
            }
            l = l.map { $0 + high }
            guard let (r, state) = residual(l) else { return nil }
            let size = r.map(abs).max()!
            if size < best.size { best = (l, state, size) }
            if size < 1e-11 { return (l.map(exp), state) }
            omega = size > previous ? omega / 2 : min(1, omega * 1.25)
            // Rounding next to the edge stalls it near 10⁻⁹; accept below 10⁻⁷ (u to 10⁻⁷).
            guard omega > 1e-6 else { return best.size < 1e-7 ? (best.l.map(exp), best.state!) : nil }
            previous = size
            let mean = r.reduce(0, +) / Double(r.count)
            l = zip(l, r).map { $0 + omega * ($1 - mean) }
        }
        return best.size < 1e-7 ? (best.l.map(exp), best.state!) : nil
    }
}

/// Solves A·x = b in place (A n×n row-major, destroyed; b becomes x) by Gaussian elimination
/// with partial pivoting; false if A is singular to working precision.
func solveLinear(_ a: inout [Double], _ b: inout [Double], _ n: Int) -> Bool {
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0 * n + column]) < abs(a[$1 * n + column]) }!
        guard a[pivot * n + column] != 0, a[pivot * n + column].isFinite else { return false }
        if pivot != column {
            for k in 0..<n { a.swapAt(pivot * n + k, column * n + k) }
            b.swapAt(pivot, column)
        }
        for row in (column + 1)..<n where row < n {
            let factor = a[row * n + column] / a[column * n + column]
            if factor == 0 { continue }
            for k in column..<n { a[row * n + k] -= factor * a[column * n + k] }
            b[row] -= factor * b[column]
        }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[row]
        for k in (row + 1)..<n where k < n { sum -= a[row * n + k] * b[k] }
        b[row] = sum / a[row * n + row]
    }
    return b.allSatisfy(\.isFinite)
}
