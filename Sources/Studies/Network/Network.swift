import Foundation
import GSL
import MonteCarlo

/// Real networks (docs/SCIENCE.md, "Real training"): Adam trains a small model on a shipped
/// data set, and at the final θ its v̂ is held against exact curvature and the minibatch
/// gradient's second moment.
///
/// Each replication is one training run: its stream draws the initialisation (every weight and
/// bias uniform on ±1/√fan-in) and every epoch's shuffle (``AdamTrainer``). At the final θ, over
/// the N training points (fpc = (N − B)/(N − 1)):
/// - g the full-batch gradient, S = (1/N)Σₙgₙ⊙gₙ from per-sample gradients (one GEMM per layer);
/// - M_B = g⊙g + fpc·(S − g⊙g)/B, the expected square of a minibatch gradient at θ;
/// - GGN = (1/N)ΣₙJₙᵀΛₙJₙ + λI and H = GGN + residual term, both exact (Curvature.swift);
///   diag(H²) the squared row norms of H;
/// - P = diag(√v̂ + ε), the preconditioned sharpness η·λ_max(P^(−1/2)HP^(−1/2)) (LAPACK `dsyevr`),
///   beside the edge 2(1+β₁)/(1−β₁).
///
/// Measures per replication (then mean and MCSE across replications by the engine): for each
/// predictor p ∈ {M_B, diag GGN, diag(H²), |diag H|} the OLS slope and R² of log v̂ᵢ on log pᵢ
/// over the coordinates where both are positive, and how many were left out (the weights of
/// the digits' three constant pixels never move: v̂ = 0 there); the mean, median and sd over
/// coordinates of log₁₀(v̂ᵢ/M_B,ᵢ); T4's prediction of that sd from the measured kurtosis
/// (below); `share_wandering`, Σᵢ(EMA of ḡ⊙ḡ along the trajectory)ᵢ/Σᵢv̂ᵢ (``AdamTrainer``);
/// ‖H − GGN‖_F/‖H‖_F; the final training loss (with ½λ‖θ‖²) and accuracy (digits).
///
/// T4 with the measured kurtosis: if v̂ᵢ averaged independent squares of gradients with
/// kurtosis κᵢ = E[g⁴]/E[g²]² and θ stood still, Var(v̂ᵢ)/vᵢ² = (κᵢ − 1)(1 − β₂)/(1 + β₂), so
/// log₁₀(v̂ᵢ/M_B,ᵢ) has sd √((κᵢ − 1)(1 − β₂)/(1 + β₂))/ln 10 (delta method). `t4_sd_log_ratio`
/// takes κᵢ of the minibatch gradient, from the per-sample central moments c₂, c₃, c₄ (power
/// sums, one GEMM per layer and power) as for a mean of B draws with replacement
/// (c₂/B, c₃/B², c₄/B³ + 3(B−1)c₂²/B³; B ≪ N); `t4_sd_log_ratio_per_sample` takes κᵢ of the
/// per-sample gradients, as docs/SCIENCE.md, "Real training" words it. Each is the root mean square over the
/// coordinates of the fit on M_B, to set beside the measured sd across coordinates
/// (`sd_log_ratio_minibatch`), which also holds any systematic spread.
///
/// The figures need v̂ against each predictor coordinate by coordinate, but 2,410 coordinates ×
/// replications × cells would be a table of megabytes. So each replication also writes a binned
/// scatter: the included coordinates sorted by pᵢ and cut into ``bins`` equal-count groups, and
/// per group the mean of log₁₀ pᵢ and of log₁₀ v̂ᵢ (`bin_log10_*` and `bin_log10_v_*`, indexed by
/// group); the engine averages each over replications with its MCSE.
///
/// No theory column: §5's predictions are qualitative (slope 1 on M_B at β₂ 0.99–0.999, memory
/// of earlier gradients at 0.9999, sharpness below the edge), for the report to judge.
public struct NetworkStudy: Study {
    public static let name = "network"
    public static let summary = "Adam on real data (digits, diabetes): v̂ against M_B, exact GGN and Hessian, preconditioned sharpness (docs/SCIENCE.md §5)"

    public enum Model: String, Choice { case linear, mlp }
    public enum Optimizer: String, Choice { case adam }

    public static let data = Parameter<DataName>("data", default: .digits, "the data set: \"digits\" (1,797 × 64, 10 classes) or \"diabetes\" (442 × 10, a regression)")
    public static let model = Parameter<Model>("model", default: .mlp, "\"linear\" (softmax or linear regression) or \"mlp\" (one tanh hidden layer)")
    public static let hidden = Parameter<Int>("hidden", minimum: 1, default: 32, "H, the hidden units of the mlp")
    public static let optimizer = Parameter<Optimizer>("optimizer", default: .adam, "the optimizer (Adam only)")
    public static let lr = Parameter<Double>("lr", .positive, default: 0.001, "η, Adam's learning rate")
    public static let beta1 = Parameter<Double>("beta1", .unitHalfOpen, default: 0.9, "β₁, the decay of m")
    public static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, default: 0.999, "β₂, the decay of v")
    public static let eps = Parameter<Double>("eps", .positive, default: 1e-8, "ε in θ ← θ − η·m̂/(√v̂ + ε)")
    public static let batch = Parameter<Int>("batch", minimum: 1, default: 32, "B, the minibatch size (≤ N; B = N is full batch)")
    public static let steps = Parameter<Int>("steps", minimum: 1, "Adam steps per training run")
    public static let l2 = Parameter<Double>("l2", .nonNegative, default: 0, "λ, the weight of ½λ‖θ‖² in the loss")
    public static let parameters = [data.erased, model.erased, hidden.erased, optimizer.erased, lr.erased, beta1.erased, beta2.erased,
                                    eps.erased, batch.erased, steps.erased, l2.erased]

    /// Groups of the binned scatters (fewer when d is smaller).
    public static let maximumBins = 20

    let network: NetworkModel
    let trainer: AdamTrainer
    let steps: Int
    let bins: Int
    let slots: Slots
    public let outputs: [Output]
    public let unavailable: [Output]

    /// A fit of log v̂ on log p: its slope, R², coordinates left out, and the binned scatter.
    public struct FitSlots: Sendable {
        let slope: Slot?, r2: Slot?, excluded: Slot?
        let binX: VectorSlot?, binY: VectorSlot?
    }

    public struct Slots: Sendable {
        let loss: Slot, accuracy: Slot?, parameters: Slot
        let minibatch: FitSlots, gaussNewton: FitSlots, hessianSquared: FitSlots, hessianDiagonal: FitSlots
        let logRatio: Slot, medianLogRatio: Slot, sdLogRatio: Slot, t4SD: Slot, t4SDPerSample: Slot
        let shareWandering: Slot, sharpness: Slot, edge: Slot, residualRatio: Slot
    }

    /// d from the cell's parameters, in floating point (no config number can trap).
    static func dimension(_ cell: Cell) -> Double {
        let data = cell[data]
        return Architecture.dimension(inputs: Double(data.inputs), hidden: cell[model] == .mlp ? Double(cell[hidden]) : 0,
                                      outputs: Double(data.outputs))
    }

    /// Linear regression: every input standardised (and the bias input 1), so diag GGN = diag H is
    /// the same for every coordinate.
    static func hasConstantCurvatureDiagonal(_ cell: Cell) -> Bool { !cell[data].isClassification && cell[model] == .linear }

    static func bins(_ cell: Cell) -> Int { Int(min(Double(maximumBins), dimension(cell))) }

    public static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        let bins = bins(cell)
        // Linear regression on standardised inputs: diag GGN = diag H = (1/N)Σx̃ₖ² + λ = 1 + λ for
        // every coordinate, so a slope on it is undefined.
        let constant = hasConstantCurvatureDiagonal(cell)
        let note = "diag GGN = diag H = 1 + λ for every coordinate (linear regression on standardised inputs): no slope"
        func fit(_ p: Predictor, binned: Bool, defined: Bool = true) -> FitSlots {
            FitSlots(slope: layout.scalar(Quantities.slope(p), when: defined, otherwise: note),
                     r2: layout.scalar(Quantities.r2(p), when: defined, otherwise: note),
                     excluded: layout.scalar(Quantities.excluded(p), when: defined, otherwise: note),
                     binX: binned ? layout.vector(Quantities.binLog10(p), count: bins, when: defined) : nil,
                     binY: binned ? layout.vector(Quantities.binLog10V(p), count: bins, when: defined) : nil)
        }
        return Slots(
            loss: layout.scalar(Quantities.loss)!,
            accuracy: layout.scalar(Quantities.accuracy, when: cell[data].isClassification, otherwise: "accuracy applies to classification (digits) only"),
            parameters: layout.scalar(Quantities.parameters)!,
            minibatch: fit(.minibatch, binned: true), gaussNewton: fit(.gaussNewton, binned: true, defined: !constant),
            hessianSquared: fit(.hessianSquared, binned: true),
            hessianDiagonal: fit(.hessianDiagonal, binned: false, defined: !constant),
            logRatio: layout.scalar(Quantities.logRatioMinibatch)!, medianLogRatio: layout.scalar(Quantities.medianLogRatioMinibatch)!,
            sdLogRatio: layout.scalar(Quantities.sdLogRatioMinibatch)!, t4SD: layout.scalar(Quantities.t4SdLogRatio)!,
            t4SDPerSample: layout.scalar(Quantities.t4SdLogRatioPerSample)!,
            shareWandering: layout.scalar(Quantities.shareWandering)!, sharpness: layout.scalar(Quantities.sharpness)!,
            edge: layout.scalar(Quantities.edge)!, residualRatio: layout.scalar(Quantities.residualRatio)!)
    }

    /// B ≤ N.
    public static func validate(_ cell: Cell, replications: Int) throws(CellError) {
        let data = cell[data]
        guard cell[batch] <= data.count else {
            throw CellError(parameter: batch.name, message: "must be ≤ N = \(data.count), the rows of \(data.rawValue), got \(cell[batch])")
        }
    }

    /// The data file present and unchanged (its SHA-256), so that a missing or edited file is a
    /// config-time error naming the path. The file is read and hashed once per process
    /// (``DataSet/load(_:)``), however many cells use it.
    public static func checkInputs(_ cell: Cell) throws(CellError) {
        do { _ = try DataSet.load(cell[data]) } catch { throw CellError(parameter: Self.data.name, message: error.description) }
    }

    /// Per cell (held): the data set, X̃ and X̃⊙X̃ (N × (D+1) each) and the targets. Preparing it
    /// reads the file (≤ 265 kB), a row array per line and the raw table twice. A worker: the
    /// d × d Hessian (the GGN is formed in it, then the residual term added, then it is scaled
    /// to P^(−1/2)HP^(−1/2) and handed to `dsyevr`, which needs 26d doubles and 10d integers),
    /// the GGN's per-sample coefficients (N·C·(H + C)), the model buffers for N rows, Adam's state (6 arrays of d and the
    /// order of N rows), 16 arrays of d for the analysis and the sorts' index arrays.
    public static func memory(_ cell: Cell) -> MemoryNeed {
        let data = cell[data]
        let n = Double(data.count), d1 = Double(data.inputs + 1)
        let d = dimension(cell)
        let architecture = Architecture(inputs: data.inputs, hidden: cell[model] == .mlp ? Int(min(Double(cell[hidden]), 1e9)) : 0,
                                        outputs: data.outputs, isClassification: data.isClassification)
        let held = MemoryNeed.doubles(2 * n * d1 + n)
        let preparation = 300e3 + MemoryNeed.doubles(3 * n * d1) + n * 64
        let workspace = MemoryNeed.doubles(d * d + 26 * d + NetworkModel.coefficientDoubles(architecture, rows: n)
                                           + ModelBuffers.doubles(architecture, rows: n) + 6 * d + n + 16 * d + 3 * d)
            + 4 * 10 * d
        return MemoryNeed(design: held, preparation: preparation, workspace: workspace, parameter: hidden.name)
    }

    public init(cell: Cell, design: RandomStream) throws {
        let data: DataSet
        do { data = try DataSet.load(cell[Self.data]) } catch { throw error }
        let hidden = cell[Self.model] == .mlp ? cell[Self.hidden] : 0
        network = NetworkModel(data: data, hidden: hidden, l2: cell[Self.l2])
        let settings = AdamSettings(lr: cell[Self.lr], beta1: cell[Self.beta1], beta2: cell[Self.beta2], eps: cell[Self.eps])
        trainer = AdamTrainer(model: network, settings: settings, batch: cell[Self.batch])
        steps = cell[Self.steps]
        bins = Self.bins(cell)
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        outputs = layout.outputs
        unavailable = layout.missing
    }

    /// A worker's memory: the model's buffers, Adam's state, the Hessian and the analysis arrays.
    public final class Workspace {
        let buffers: ModelBuffers
        let state: TrainingState
        let hessian: Matrix
        /// The GGN's per-sample coefficients κₙ (N × C × units).
        var coefficients: [Double]
        /// Power sums Σₙ(∇ℓₙ)ᵏ, k = 1…4, one after the other (4d).
        var sums: [Double]
        var vHat: [Double], minibatch: [Double], gaussNewton: [Double], hessianSquared: [Double], hessianDiagonal: [Double]
        var kurtosisMinibatch: [Double], kurtosisPerSample: [Double], logRatio: [Double]

        init(_ model: NetworkModel) throws {
            let d = model.dimension, a = model.architecture
            buffers = ModelBuffers(a, rows: model.data.count)
            state = TrainingState(dimension: d, rows: model.data.count)
            hessian = try Matrix(rows: d, columns: d)
            coefficients = [Double](repeating: 0, count: Int(NetworkModel.coefficientDoubles(a, rows: Double(model.data.count))))
            let zeros = [Double](repeating: 0, count: d)
            sums = [Double](repeating: 0, count: 4 * d)
            (vHat, minibatch, gaussNewton, hessianSquared, hessianDiagonal) = (zeros, zeros, zeros, zeros, zeros)
            (kurtosisMinibatch, kurtosisPerSample, logRatio) = (zeros, zeros, zeros)
        }
    }

    public func makeWorkspace() throws -> Workspace { try Workspace(network) }

    public func replicate(_ stream: RandomStream, _ workspace: inout Workspace, _ statistics: StatisticsRow) throws {
        let w = workspace, d = network.dimension, n = network.data.count
        let settings = trainer.settings, lambda = network.l2
        trainer.start(w.state, stream)
        if let divergence = trainer.train(w.state, steps: steps, stream, w.buffers) {
            throw CellError(parameter: Self.lr.name, message: divergence.description)
        }
        let theta = w.state.theta

        // Per-sample moments, g, S, M_B, and the kurtosis of per-sample and minibatch gradients.
        let (dataLoss, correct) = w.sums.withUnsafeMutableBufferPointer { sums in
            theta.withUnsafeBufferPointer {
                network.perSamplePowerSums($0.baseAddress!, w.buffers, into: (0..<4).map { sums.baseAddress! + $0 * d })
            }
        }
        var penalty = 0.0, sumVHat = 0.0, sumWandering = 0.0
        for i in 0..<d {
            let vHat = w.state.vHat(i, beta2: settings.beta2)
            w.vHat[i] = vHat
            sumVHat += vHat
            sumWandering += w.state.wanderingHat(i, beta2: settings.beta2)
            penalty += theta[i] * theta[i]
            let moments = Self.coordinateMoments(w.sums[i], w.sums[d + i], w.sums[2 * d + i], w.sums[3 * d + i],
                                                  rows: n, batch: trainer.batch, shift: lambda * theta[i])
            w.minibatch[i] = moments.minibatch
            w.kurtosisPerSample[i] = moments.kurtosisPerSample
            w.kurtosisMinibatch[i] = moments.kurtosisMinibatch
        }
        statistics[slots.loss] = dataLoss + 0.5 * lambda * penalty
        if let accuracy = slots.accuracy { statistics[accuracy] = Double(correct) / Double(n) }
        statistics[slots.parameters] = Double(d)
        statistics[slots.shareWandering] = sumWandering / sumVHat
        statistics[slots.edge] = settings.edge

        // GGN, then H = GGN + R in the same matrix.
        try w.coefficients.withUnsafeMutableBufferPointer { kappa in
            try theta.withUnsafeBufferPointer { try network.gaussNewton($0.baseAddress!, w.buffers, coefficients: kappa.baseAddress!, into: w.hessian) }
        }
        for i in 0..<d { w.gaussNewton[i] = w.hessian[i, i] }
        let residualSquared = theta.withUnsafeBufferPointer { network.addResidual($0.baseAddress!, w.buffers, into: w.hessian) }
        var hessianSquared = 0.0
        w.hessian.withElements { h in
            for i in 0..<d {
                var row = 0.0
                for j in 0..<d { row += h[i * d + j] * h[i * d + j] }
                w.hessianSquared[i] = row
                w.hessianDiagonal[i] = abs(h[i * d + i])
                hessianSquared += row
            }
        }
        statistics[slots.residualRatio] = (residualSquared / hessianSquared).squareRoot()

        // P^(−1/2)HP^(−1/2), in place, and its largest eigenvalue.
        let scale = w.vHat.map { 1 / ($0.squareRoot() + settings.eps).squareRoot() }
        w.hessian.withElements { h in
            for i in 0..<d { for j in 0..<d { h[i * d + j] *= scale[i] * scale[j] } }
        }
        let top = try SymmetricEigen.largest(1, destroying: w.hessian)
        statistics[slots.sharpness] = settings.lr * top[0]

        // The fits of log v̂ on log p. A fit that fails after a loss that rose (units saturated
        // or dead by a learning rate too large: v̂ = 0 on most coordinates) is said to be that.
        do {
            try fit(w.vHat, w.minibatch, slots.minibatch, statistics)
            try fit(w.vHat, w.gaussNewton, slots.gaussNewton, statistics)
            try fit(w.vHat, w.hessianSquared, slots.hessianSquared, statistics)
            try fit(w.vHat, w.hessianDiagonal, slots.hessianDiagonal, statistics)
        } catch let error as FitError where !(statistics[slots.loss] < w.state.firstLoss) {
            let (first, last) = (EstimateText.significant(w.state.firstLoss, digits: 4), EstimateText.significant(statistics[slots.loss], digits: 4))
            throw CellError(parameter: Self.lr.name, message: "training diverged: the loss rose from \(first) at step 1 to \(last) after step \(steps), and \(error.description); choose a smaller lr")
        }

        // log₁₀(v̂/M_B) over the coordinates of the M_B fit, and T4's predictions of its sd.
        var count = 0, sum = 0.0, t4 = 0.0, t4PerSample = 0.0
        let spread = (1 - settings.beta2) / (1 + settings.beta2), ln10 = log(10.0)
        for i in 0..<d where w.vHat[i] > 0 && w.minibatch[i] > 0 {
            let r = log10(w.vHat[i] / w.minibatch[i])
            w.logRatio[count] = r
            count += 1
            sum += r
            t4 += max(w.kurtosisMinibatch[i] - 1, 0) * spread / (ln10 * ln10)
            t4PerSample += max(w.kurtosisPerSample[i] - 1, 0) * spread / (ln10 * ln10)
        }
        let mean = sum / Double(count)
        var squares = 0.0
        for k in 0..<count { squares += (w.logRatio[k] - mean) * (w.logRatio[k] - mean) }
        statistics[slots.logRatio] = mean
        statistics[slots.sdLogRatio] = (squares / Double(count - 1)).squareRoot()
        let sorted = w.logRatio[0..<count].sorted()
        statistics[slots.medianLogRatio] = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
        statistics[slots.t4SD] = (t4 / Double(count)).squareRoot()
        statistics[slots.t4SDPerSample] = (t4PerSample / Double(count)).squareRoot()
    }

    /// One coordinate's moments at the final θ from the power sums sₖ = Σₙ(∇ℓₙ)ᵢᵏ of the data
    /// term's per-sample gradients (k = 1…4) over N rows; `shift` = λθᵢ, which every per-sample
    /// gradient carries. With mean μ = s₁/N + shift and the central moments c₂, c₃, c₄ (which the
    /// shift leaves alone):
    /// - M_B = μ² + fpc·c₂/B, fpc = (N − B)/(N − 1): E[g_B²] for a minibatch of B rows drawn
    ///   without replacement (c₂ = S − g² is the population variance);
    /// - the per-sample kurtosis E[gₙ⁴]/E[gₙ²]²;
    /// - the minibatch mean's kurtosis E[ḡ⁴]/E[ḡ²]² as for B draws with replacement:
    ///   central moments c₂/B, c₃/B², c₄/B³ + 3(B − 1)c₂²/B³ about μ.
    /// A coordinate whose every gradient is 0 has kurtosis 1 (no spread).
    static func coordinateMoments(_ s1: Double, _ s2: Double, _ s3: Double, _ s4: Double, rows n: Int, batch: Int, shift: Double)
        -> (minibatch: Double, kurtosisPerSample: Double, kurtosisMinibatch: Double) {
        let nn = Double(n), b = Double(batch)
        let fpc = n > 1 ? Double(n - batch) / Double(n - 1) : 0
        let mean = s1 / nn, m2 = s2 / nn, m3 = s3 / nn, m4 = s4 / nn
        let c2 = max(m2 - mean * mean, 0)
        let c3 = m3 - 3 * mean * m2 + 2 * mean * mean * mean
        let c4 = max(m4 - 4 * mean * m3 + 6 * mean * mean * m2 - 3 * mean * mean * mean * mean, 0)
        let g = mean + shift, gg = g * g
        func kurtosis(_ c2: Double, _ c3: Double, _ c4: Double) -> Double {
            let second = c2 + gg, fourth = c4 + 4 * g * c3 + 6 * gg * c2 + gg * gg
            return second > 0 ? fourth / (second * second) : 1
        }
        return (gg + fpc * c2 / b, kurtosis(c2, c3, c4),
                kurtosis(c2 / b, c3 / (b * b), c4 / (b * b * b) + 3 * (b - 1) * c2 * c2 / (b * b * b)))
    }

    /// OLS of log v̂ᵢ on log pᵢ over the coordinates where both are positive: slope, R², the
    /// count left out, and the binned scatter (the included coordinates by increasing pᵢ, in
    /// ``bins`` groups of equal count, ⌊kn/bins⌋ ..< ⌊(k+1)n/bins⌋; mean log₁₀ pᵢ and log₁₀ v̂ᵢ each).
    func fit(_ v: [Double], _ p: [Double], _ slots: FitSlots, _ statistics: StatisticsRow) throws {
        guard let slope = slots.slope, let r2 = slots.r2, let excluded = slots.excluded else { return }
        let included = v.indices.filter { v[$0] > 0 && p[$0] > 0 }
        let n = included.count
        guard n >= max(3, bins) else {
            throw FitError(description: "only \(n) of \(v.count) coordinates have v̂ > 0 and a positive predictor: too few for a fit")
        }
        var mx = 0.0, my = 0.0
        for i in included { mx += log(p[i]); my += log(v[i]) }
        (mx, my) = (mx / Double(n), my / Double(n))
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for i in included {
            let (x, y) = (log(p[i]) - mx, log(v[i]) - my)
            (sxx, sxy, syy) = (sxx + x * x, sxy + x * y, syy + y * y)
        }
        // Logs equal to rounding (a predictor the same for every coordinate) give no slope.
        guard sxx > 1e-20 * Double(n) && syy > 1e-20 * Double(n) else {
            throw FitError(description: "every coordinate has the same predictor or the same v̂ (to rounding): no slope")
        }
        statistics[slope] = sxy / sxx
        statistics[r2] = sxy * sxy / (sxx * syy)
        statistics[excluded] = Double(v.count - n)
        guard let binX = slots.binX, let binY = slots.binY else { return }
        let order = included.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        for k in 0..<bins {
            let range = (k * n / bins)..<((k + 1) * n / bins)
            var sx = 0.0, sy = 0.0
            for r in range { sx += log10(p[order[r]]); sy += log10(v[order[r]]) }
            statistics[binX, k] = sx / Double(range.count)
            statistics[binY, k] = sy / Double(range.count)
        }
    }

    struct FitError: Error, CustomStringConvertible { var description: String }
}

