import Foundation
import GSL
import MonteCarlo

/// Adam's hyperparameters (docs/SCIENCE.md §2).
public struct AdamSettings: Sendable, Equatable {
    public var lr: Double, beta1: Double, beta2: Double, eps: Double
    public init(lr: Double, beta1: Double, beta2: Double, eps: Double) {
        (self.lr, self.beta1, self.beta2, self.eps) = (lr, beta1, beta2, eps)
    }

    /// The stability limit of the preconditioned curvature, 2(1+β₁)/(1−β₁) (T5; 38 at β₁ = 0.9).
    public var edge: Double { 2 * (1 + beta1) / (1 - beta1) }
}

/// One training run's state, preallocated: θ, Adam's m and v, the minibatch gradient, the
/// epoch's order of rows, and the EMA of the full-batch g⊙g along the trajectory (the part of v̂
/// that θ's own movement explains, docs/SCIENCE.md, "Real training").
public final class TrainingState {
    public var theta: [Double], m: [Double], v: [Double], gradient: [Double]
    /// The EMA (weights of v̂, from snapshots) of ḡ(θₜ)⊙ḡ(θₜ), ḡ the full-batch gradient.
    public var wandering: [Double]
    /// The full-batch gradient at a snapshot.
    public var fullGradient: [Double]
    /// The current epoch's permutation of 0..<N.
    var order: [Int]
    /// Steps taken.
    public private(set) var step = 0
    /// The minibatch loss of the first step (NaN before it), to which a diverging loss is compared.
    public internal(set) var firstLoss = Double.nan

    public init(dimension d: Int, rows: Int) {
        let zeros = [Double](repeating: 0, count: d)
        (theta, m, v, gradient, wandering, fullGradient) = (zeros, zeros, zeros, zeros, zeros, zeros)
        order = Array(0..<rows)
    }

    /// v̂ = v/(1 − β₂ᵗ) at the current step, coordinate i.
    public func vHat(_ i: Int, beta2: Double) -> Double { v[i] / (1 - pow(beta2, Double(step))) }

    /// The wandering EMA, bias-corrected like v̂.
    public func wanderingHat(_ i: Int, beta2: Double) -> Double { wandering[i] / (1 - pow(beta2, Double(step))) }

    func reset() {
        for i in theta.indices { (m[i], v[i], wandering[i]) = (0, 0, 0) }
        for i in order.indices { order[i] = i }
        step = 0
        firstLoss = .nan
    }

    func advance() { step += 1 }
}

/// Adam on a ``NetworkModel`` (docs/SCIENCE.md, "Real training"): minibatches of B rows drawn by reshuffling the
/// rows at the start of every epoch (Fisher–Yates from the replication's stream) and dropping
/// the last partial batch (⌊N/B⌋ steps an epoch); m and v start at 0 and are bias-corrected:
/// m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), θ ← θ − η·m̂/(√v̂ + ε).
///
/// Along the way, every ``snapshotInterval`` steps (and at the last step), the full-batch
/// gradient ḡ at the θ where that step's minibatch gradient was taken is folded into
/// `wandering` with the total EMA weight of the steps it stands for: for a block of k steps
/// ending at step t, u ← β₂ᵏu + (1 − β₂ᵏ)ḡ⊙ḡ, exactly the weights Σⱼ₌₀ᵏ⁻¹(1−β₂)β₂ʲ that v gives
/// those k steps; only ḡ is held constant over the block (piecewise constant in θ). At
/// 100 steps a full-batch gradient (~1.4 ms for 64-32-10 on digits) costs about a third of an
/// Adam step's time per step; an EMA of β₂ = 0.9 sees mostly the last block, whose ḡ is the one at
/// the end of training. With the full batch (B = N) the minibatch gradient is ḡ itself, and the
/// EMA takes it at every step: then it equals v, and the share is 1.
public struct AdamTrainer: Sendable {
    public let model: NetworkModel
    public let settings: AdamSettings
    public let batch: Int
    /// Steps between full-batch gradients for the wandering EMA; 0 turns them off.
    public var snapshotInterval = 100

    public init(model: NetworkModel, settings: AdamSettings, batch: Int) {
        (self.model, self.settings, self.batch) = (model, settings, batch)
    }

    /// Initialises θ from `stream` (uniform ±1/√fan-in) and resets Adam's state.
    public func start(_ state: TrainingState, _ stream: RandomStream) {
        state.reset()
        state.theta.withUnsafeMutableBufferPointer { model.initialise($0.baseAddress!, stream) }
    }

    /// How many times the first step's loss a minibatch loss may reach before training is called
    /// diverged: Adam moves each coordinate by about lr a step, so a learning rate too large for
    /// the problem sends the loss up by orders of magnitude within a few steps while it stays
    /// finite; training that works never comes near (the committed runs fall from the first loss).
    public static let divergenceFactor = 1e6

    /// Takes `steps` Adam steps from the current state. Allocates nothing. Stops at the first
    /// step whose minibatch loss is not finite or exceeds ``divergenceFactor`` times the first
    /// step's, or after the last if θ or v is not finite, and says so (nil: training held).
    @discardableResult
    public func train(_ state: TrainingState, steps: Int, _ stream: RandomStream, _ buffers: ModelBuffers) -> TrainingDivergence? {
        let n = model.data.count, perEpoch = n / batch, d = model.dimension
        let (eta, b1, b2, eps) = (settings.lr, settings.beta1, settings.beta2, settings.eps)
        let last = state.step + steps, fullBatch = batch == n
        var lastSnapshot = state.step
        return state.theta.withUnsafeMutableBufferPointer { theta in
        state.m.withUnsafeMutableBufferPointer { m in
        state.v.withUnsafeMutableBufferPointer { v in
        state.gradient.withUnsafeMutableBufferPointer { g in
        state.wandering.withUnsafeMutableBufferPointer { u in
        state.fullGradient.withUnsafeMutableBufferPointer { full in
        state.order.withUnsafeMutableBufferPointer { order in
            for _ in 0..<steps {
                let position = state.step % perEpoch
                if position == 0 {
                    // Fisher–Yates.
                    for i in stride(from: n - 1, to: 0, by: -1) {
                        order.swapAt(i, stream.uniformInt(below: i + 1))
                    }
                }
                let rows = UnsafeBufferPointer(rebasing: order[(position * batch)..<((position + 1) * batch)])
                let loss = model.lossAndGradient(UnsafePointer(theta.baseAddress!), rows: rows, buffers, into: g.baseAddress!).loss
                if state.step == 0 { state.firstLoss = loss }
                guard loss.isFinite, !(loss > Self.divergenceFactor * state.firstLoss) else {
                    return TrainingDivergence(step: state.step + 1, loss: loss, firstLoss: state.firstLoss, steps: steps)
                }
                state.advance()
                let t = state.step
                if fullBatch {
                    // B = N: the minibatch gradient is the full-batch one; the EMA takes every step.
                    for i in 0..<d { u[i] = b2 * u[i] + (1 - b2) * g[i] * g[i] }
                } else if snapshotInterval > 0 && (t % snapshotInterval == 0 || t == last) {
                    _ = model.lossAndGradient(UnsafePointer(theta.baseAddress!), rows: nil, buffers, into: full.baseAddress!)
                    let decay = pow(b2, Double(t - lastSnapshot))
                    for i in 0..<d { u[i] = decay * u[i] + (1 - decay) * full[i] * full[i] }
                    lastSnapshot = t
                }
                let c1 = 1 / (1 - pow(b1, Double(t))), c2 = 1 / (1 - pow(b2, Double(t)))
                for i in 0..<d {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    theta[i] -= eta * (m[i] * c1) / ((v[i] * c2).squareRoot() + eps)
                }
            }
            for i in 0..<d where !theta[i].isFinite || !v[i].isFinite {
                return TrainingDivergence(step: state.step, loss: nil, firstLoss: state.firstLoss, steps: steps)
            }
            return nil
        }}}}}}}
    }
}

/// Training that diverged (``AdamTrainer/train(_:steps:_:_:)``): at which step, with what
/// minibatch loss (nil when every loss held but θ or v was not finite after the last step), and
/// the loss at the first step.
public struct TrainingDivergence: Sendable, Equatable, CustomStringConvertible {
    public var step: Int, loss: Double?, firstLoss: Double, steps: Int

    public var description: String {
        let at = loss.map { "at step \(step) of \(steps): the minibatch loss is \(format($0))" } ?? "by step \(step) of \(steps): θ or v is not finite"
        return "training diverged \(at) (it was \(EstimateText.significant(firstLoss, digits: 4)) at step 1); choose a smaller lr"
    }
}
