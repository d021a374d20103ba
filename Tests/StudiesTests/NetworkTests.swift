import Foundation
import GSL
import MonteCarlo
@testable import Studies
import Testing
import TestSupport

/// The GGN the obvious way, as a reference for the package's per-unit-pair GEMMs: the rows of
/// every Mₙ = AₙᵀJₙ stacked (blocks of samples) and folded in by `syrk` (the study used this
/// first; 10× the flops).
extension NetworkModel {
    /// GGN = (1/N)ΣₙJₙᵀΛₙJₙ + λI into `ggn` (d × d, both triangles), Jₙ = ∂fₙ/∂θ and Λ the loss
    /// Hessian in f. For softmax Λ = diag p − ppᵀ = AAᵀ with A = diag√p − p√pᵀ, so
    /// GGN = (1/N)ΣₙMₙᵀMₙ with Mₙ = AₙᵀJₙ (C × d); for the squared loss Λ = 1 and Mₙ = Jₙ. The rows
    /// of Mₙ, stacked over a block of samples into `factor`, are folded in by `syrk`:
    ///   Mₙ[a, W_out(c, j)] = Γ[a, c]·l̃ⱼ,    Mₙ[a, W₁(j, k)] = (Γ·W₂)[a, j]·(1 − zⱼ²)·x̃ₖ,
    /// with Γ[a, c] = √pₐ(δₐ꜀ − p꜀) (softmax) or 1, and l̃ the output layer's input.
    func gaussNewtonByStackedFactor(_ theta: UnsafePointer<Double>, _ buffers: ModelBuffers, into ggn: Matrix) throws {
        let samplesPerBlock = max(1, 64 / architecture.outputs)
        var storage = [Double](repeating: 0, count: samplesPerBlock * architecture.outputs * dimension)
        let factor = storage.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let a = architecture, n = data.count, dim = dimension
        precondition(ggn.rows == dim && ggn.columns == dim)
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        var gamma = [Double](repeating: 0, count: c * c), q = [Double](repeating: 0, count: c * max(h, 1))
        data.design.withUnsafeBufferPointer { x in
            data.targets.withUnsafeBufferPointer { y in
                _ = forward(theta, x: x.baseAddress!, y: y.baseAddress!, n: n, buffers)
                buffers.residual.withUnsafeBufferPointer { r in
                    buffers.hidden.withUnsafeBufferPointer { z in
                        ggn.withElements { g in
                            var start = 0, first = true
                            while start < n {
                                let count = min(samplesPerBlock, n - start)
                                for s in 0..<count {
                                    let i = start + s
                                    // Γ (C × C).
                                    if a.isClassification {
                                        let label = Int(y[i])
                                        for aa in 0..<c {
                                            let pa = r[i * c + aa] + (aa == label ? 1 : 0)
                                            let root = max(pa, 0).squareRoot()
                                            for cc in 0..<c {
                                                let pc = r[i * c + cc] + (cc == label ? 1 : 0)
                                                gamma[aa * c + cc] = root * ((aa == cc ? 1 : 0) - pc)
                                            }
                                        }
                                    } else {
                                        gamma[0] = 1
                                    }
                                    let last = a.isMLP ? z.baseAddress! + i * width : x.baseAddress! + i * d1
                                    if a.isMLP {
                                        // Q = Γ·W₂[:, :H]·diag(1 − z²).
                                        for aa in 0..<c {
                                            for j in 0..<h {
                                                var sum = 0.0
                                                for cc in 0..<c { sum += gamma[aa * c + cc] * theta[a.outputOffset + cc * width + j] }
                                                let zij = z[i * width + j]
                                                q[aa * h + j] = sum * (1 - zij * zij)
                                            }
                                        }
                                    }
                                    for aa in 0..<c {
                                        let row = factor + (s * c + aa) * dim
                                        for cc in 0..<c {
                                            let weight = gamma[aa * c + cc], out = row + a.outputOffset + cc * width
                                            for j in 0..<width { out[j] = weight * last[j] }
                                        }
                                        if a.isMLP {
                                            let xi = x.baseAddress! + i * d1
                                            for j in 0..<h {
                                                let weight = q[aa * h + j], out = row + j * d1
                                                for k in 0..<d1 { out[k] = weight * xi[k] }
                                            }
                                        }
                                    }
                                }
                                BLAS.syrkTransposed(n: dim, k: count * c, 1 / Double(n), factor, lda: dim,
                                                    first ? 0 : 1, g.baseAddress!, ldc: dim)
                                first = false
                                start += count
                            }
                        }
                    }
                }
            }
        }
        try ggn.symmetrizeFromLower()
        if l2 != 0 { for i in 0..<dim { ggn[i, i] += l2 } }
        withExtendedLifetime(storage) {}
    }

}

/// The `network` study's exact quantities against brute force, on small random models where every formula is exercised: 12 points,
/// 4 inputs, 3 hidden units, 3 classes or one regression target, L2 on.
struct NetworkTests {
    /// A random data set: Gaussian inputs (one column constant), labels or a target.
    static func dataSet(classes: Int, rows: Int = 12, inputs: Int = 4, seed: UInt32 = 7) throws -> DataSet {
        let stream = try RandomStream(seed: seed)
        let x = (0..<rows).map { _ in (0..<inputs).map { k in k == inputs - 1 ? 3.0 : stream.gaussian() } }
        let y = (0..<rows).map { i in classes > 1 ? Double(i % classes) : stream.gaussian() }
        return DataSet(inputs: x, targets: y, outputs: classes > 1 ? classes : 1, isClassification: classes > 1)
    }

    /// The four models: softmax and linear regression, and the MLP on each loss.
    static func models(l2: Double = 0.01) throws -> [(name: String, model: NetworkModel)] {
        [("softmax regression", NetworkModel(data: try dataSet(classes: 3), hidden: 0, l2: l2)),
         ("mlp classifier", NetworkModel(data: try dataSet(classes: 3), hidden: 3, l2: l2)),
         ("linear regression", NetworkModel(data: try dataSet(classes: 1), hidden: 0, l2: l2)),
         ("mlp regression", NetworkModel(data: try dataSet(classes: 1), hidden: 3, l2: l2))]
    }

    /// θ with entries N(0, 0.7²), far from any optimum (the residual term is not small).
    static func theta(_ model: NetworkModel, seed: UInt32 = 3) throws -> [Double] {
        let stream = try RandomStream(seed: seed)
        return (0..<model.dimension).map { _ in 0.7 * stream.gaussian() }
    }

    static func gradient(_ model: NetworkModel, _ theta: [Double], rows: [Int]? = nil) -> [Double] {
        let buffers = ModelBuffers(model.architecture, rows: model.data.count)
        var g = [Double](repeating: 0, count: model.dimension)
        g.withUnsafeMutableBufferPointer { gp in
            theta.withUnsafeBufferPointer { tp in
                if let rows {
                    rows.withUnsafeBufferPointer { _ = model.lossAndGradient(tp.baseAddress!, rows: $0, buffers, into: gp.baseAddress!) }
                } else {
                    _ = model.lossAndGradient(tp.baseAddress!, rows: nil, buffers, into: gp.baseAddress!)
                }
            }
        }
        return g
    }

    /// (GGN, H, ‖H − GGN‖²_F as returned) by the study's code.
    static func curvature(_ model: NetworkModel, _ theta: [Double]) throws -> (ggn: Matrix, hessian: Matrix, residual: Double) {
        let d = model.dimension
        let buffers = ModelBuffers(model.architecture, rows: model.data.count)
        var kappa = [Double](repeating: 0, count: Int(NetworkModel.coefficientDoubles(model.architecture, rows: Double(model.data.count))))
        let ggn = try Matrix(rows: d, columns: d)
        try kappa.withUnsafeMutableBufferPointer { k in
            try theta.withUnsafeBufferPointer { try model.gaussNewton($0.baseAddress!, buffers, coefficients: k.baseAddress!, into: ggn) }
        }
        let hessian = try ggn.copy()
        let residual = theta.withUnsafeBufferPointer { model.addResidual($0.baseAddress!, buffers, into: hessian) }
        return (ggn, hessian, residual)
    }

    /// Mean and population sd (divisor N), written here rather than taken from the loader.
    static func populationMoments(_ x: [Double]) -> (mean: Double, sd: Double) {
        let mean = x.reduce(0, +) / Double(x.count)
        return (mean, (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)).squareRoot())
    }

    static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// Shapes of docs/RESULTS.md: 650 parameters for softmax regression 64 → 10, 2,410 for 64-32-10,
    /// 11 and 10·11 + 32·... for diabetes; the shipped data load with the shapes of §5.
    @Test func shapes() throws {
        #expect(Architecture(inputs: 64, hidden: 0, outputs: 10, isClassification: true).dimension == 650)
        #expect(Architecture(inputs: 64, hidden: 32, outputs: 10, isClassification: true).dimension == 2410)
        #expect(Architecture(inputs: 10, hidden: 0, outputs: 1, isClassification: false).dimension == 11)
        #expect(Architecture(inputs: 10, hidden: 32, outputs: 1, isClassification: false).dimension == 32 * 11 + 33)
        #expect(Architecture.dimension(inputs: 64, hidden: 32, outputs: 10) == 2410)
        let digits = try DataSet.load(.digits), diabetes = try DataSet.load(.diabetes)
        #expect(digits.count == 1797 && digits.inputs == 64 && digits.outputs == 10 && digits.design.count == 1797 * 65)
        #expect(diabetes.count == 442 && diabetes.inputs == 10 && diabetes.outputs == 1)
        #expect(Set(digits.targets) == Set((0..<10).map(Double.init)))
    }

    /// Standardisation by the population sd: every input column of mean 0 and sd 1, except the
    /// digits' 3 constant pixels, which are 0; the bias column 1; the diabetes target standardised.
    @Test func inputsAreStandardised() throws {
        for data in [try DataSet.load(.digits), try DataSet.load(.diabetes)] {
            let d1 = data.inputs + 1
            var constant = 0
            for k in 0..<data.inputs {
                let column = (0..<data.count).map { data.design[$0 * d1 + k] }
                if column.allSatisfy({ $0 == 0 }) { constant += 1; continue }
                let (mean, sd) = Self.populationMoments(column)
                #expect(abs(mean) < 1e-13 && abs(sd - 1) < 1e-13, "column \(k): mean \(mean), sd \(sd)")
            }
            #expect(constant == (data.isClassification ? 3 : 0))
            #expect((0..<data.count).allSatisfy { data.design[$0 * d1 + data.inputs] == 1 })
            if !data.isClassification {
                let (mean, sd) = Self.populationMoments(data.targets)
                #expect(abs(mean) < 1e-13 && abs(sd - 1) < 1e-13)
            }
        }
    }

    /// A data file whose SHA-256 differs (one digit changed) is refused, naming the file; so is
    /// a missing one. The shipped file with the right digest loads.
    @Test func dataDigestMismatchIsRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shipped = try DataFolder.locate().appendingPathComponent("diabetes.csv")
        var bytes = try Data(contentsOf: shipped)
        let file = folder.appendingPathComponent("diabetes.csv")
        try bytes.write(to: file)
        _ = try DataSet.load(.diabetes, from: folder)
        bytes[0] = bytes[0] == UInt8(ascii: "5") ? UInt8(ascii: "6") : UInt8(ascii: "5")
        try bytes.write(to: file)
        let error = #expect(throws: DataSetError.self) { try DataSet.load(.diabetes, from: folder) }
        #expect(error?.description.hasPrefix(file.path + ": SHA-256 ") == true, "\(String(describing: error))")
        let missing = #expect(throws: DataSetError.self) { try DataSet.load(.digits, from: folder) }
        #expect(missing?.description.hasPrefix(folder.appendingPathComponent("digits.csv").path) == true)
        // A malformed file with the digest it claims is still parsed strictly.
        let ragged = Array("1,2,3\n4,5\n".utf8)
        #expect(throws: DataSetError.self) { try DataSet.parse(ragged, columns: 3, path: "x.csv") }
    }

    /// The command: a data folder without the files (HESSIAN_STUDY_DATA) gives exit 2 and one
    /// line naming the config, the key and the missing file; B > N is refused naming `batch`,
    /// while B = N (full batch) is accepted.
    @Test func missingDataAndBadBatchExitTwo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ fixed: String, data: String? = nil) throws -> (status: Int32, err: String, config: String) {
            let config = folder.appendingPathComponent("n.json")
            try Data(#"{"study": "network", "seed": 1, "replications": 1, "fixed": {"steps": 1, "#.utf8 + Data(fixed.utf8) + Data("}}".utf8)).write(to: config)
            let process = Process()
            process.executableURL = executable
            process.arguments = ["check", config.path]
            var environment = ProcessInfo.processInfo.environment
            if let data { environment[DataFolder.variable] = data }
            process.environment = environment
            let err = Pipe()
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text, config.path)
        }
        let missing = try run(#""data": "diabetes""#, data: folder.path)
        #expect(missing.status == 2)
        #expect(missing.err == "\(missing.config): fixed.data: \(folder.appendingPathComponent("diabetes.csv").path): no such file\n", "\(missing.err)")
        let nowhere = try run(#""data": "diabetes""#, data: folder.appendingPathComponent("absent").path)
        #expect(nowhere.status == 2 && nowhere.err.contains(folder.appendingPathComponent("absent").path) && nowhere.err.split(separator: "\n").count == 1)
        let big = try run(#""data": "diabetes", "batch": 443"#)
        #expect(big.status == 2 && big.err.hasPrefix("\(big.config): fixed.batch: must be ≤ N = 442"), "\(big.err)")
        #expect(try run(#""data": "diabetes", "batch": 442"#).status == 0)
    }

    /// H's columns against central differences of the exact gradient, for all four models:
    /// ‖(g(θ + heᵢ) − g(θ − heᵢ))/2h − Hᵢ‖/‖Hᵢ‖ < 10⁻⁶ for every column i. With h = 10⁻⁵ the
    /// truncation error is O(h²) ≈ 10⁻¹⁰ and the rounding error O(u/h) ≈ 10⁻¹¹ relative; a wrong
    /// term of H is O(1) off. Also for the linear models H = GGN (the residual is exactly 0).
    @Test func hessianColumnsMatchFiniteDifferences() throws {
        for (name, model) in try Self.models() {
            let theta = try Self.theta(model)
            let (ggn, hessian, residual) = try Self.curvature(model, theta)
            var worst = 0.0
            for i in 0..<model.dimension {
                let step = 1e-5
                var plus = theta, minus = theta
                plus[i] += step
                minus[i] -= step
                let (gp, gm) = (Self.gradient(model, plus), Self.gradient(model, minus))
                let column = (0..<model.dimension).map { hessian[$0, i] }
                let difference = (0..<model.dimension).map { (gp[$0] - gm[$0]) / (2 * step) - column[$0] }
                worst = max(worst, Self.norm(difference) / Self.norm(column))
            }
            #expect(worst < 1e-6, "\(name): worst relative column error \(worst)")
            if !model.architecture.isMLP {
                #expect(residual == 0 && hessian.elements == ggn.elements, "\(name): H = GGN")
            } else {
                // The residual is not negligible here, so the test above sees it.
                let gap = zip(hessian.elements, ggn.elements).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
                #expect(gap > 1e-4 && abs(gap - residual) <= 1e-12 * gap, "\(name): ‖H − GGN‖² \(gap) against \(residual)")
            }
        }
    }

    /// The GGN by unit-pair GEMMs (the study's) equals the stacked-factor `syrk` to rounding, for
    /// all four models.
    @Test func gaussNewtonMatchesTheStackedFactor() throws {
        for (name, model) in try Self.models() {
            let theta = try Self.theta(model)
            let (ggn, _, _) = try Self.curvature(model, theta)
            let reference = try Matrix(rows: model.dimension, columns: model.dimension)
            try theta.withUnsafeBufferPointer {
                try model.gaussNewtonByStackedFactor($0.baseAddress!, ModelBuffers(model.architecture, rows: model.data.count), into: reference)
            }
            let error = Self.norm(zip(ggn.elements, reference.elements).map(-)) / reference.frobeniusNorm
            #expect(error < 1e-13, "\(name): relative error \(error)")
        }
    }

    /// Pearlmutter's R-operator for the one-hidden-layer MLP, per sample, written from the
    /// forward and backward passes (independent of Curvature.swift's block formulas): H·v, and
    /// with `gaussNewtonOnly` the GGN·v (Schraudolph: the terms with r dropped).
    static func rOperator(_ model: NetworkModel, _ theta: [Double], _ v: [Double], gaussNewtonOnly: Bool) -> [Double] {
        let a = model.architecture, data = model.data
        let (d1, h, c) = (a.inputs + 1, a.hidden, a.outputs)
        let off = a.outputOffset
        func w1(_ j: Int, _ k: Int) -> Double { theta[j * d1 + k] }
        func w2(_ cc: Int, _ j: Int) -> Double { theta[off + cc * (h + 1) + j] }
        func v1(_ j: Int, _ k: Int) -> Double { v[j * d1 + k] }
        func v2(_ cc: Int, _ j: Int) -> Double { v[off + cc * (h + 1) + j] }
        var result = [Double](repeating: 0, count: a.dimension)
        for n in 0..<data.count {
            let x = Array(data.design[(n * d1)..<((n + 1) * d1)])
            let act = (0..<h).map { j in (0..<d1).reduce(0) { $0 + w1(j, $1) * x[$1] } }
            let z = act.map { tanh($0) } + [1]
            let f = (0..<c).map { cc in (0..<(h + 1)).reduce(0) { $0 + w2(cc, $1) * z[$1] } }
            let rAct = (0..<h).map { j in (0..<d1).reduce(0) { $0 + v1(j, $1) * x[$1] } }
            let tp = (0..<h).map { 1 - z[$0] * z[$0] }, tpp = (0..<h).map { -2 * z[$0] * tp[$0] }
            let rz = (0..<h).map { tp[$0] * rAct[$0] } + [0]
            let rf = (0..<c).map { cc in (0..<(h + 1)).reduce(0) { $0 + v2(cc, $1) * z[$1] + w2(cc, $1) * rz[$1] } }
            // r = ∂ℓ/∂f and R{r} = Λ·R{f}.
            var r: [Double], rr: [Double]
            if a.isClassification {
                let top = f.max()!, e = f.map { exp($0 - top) }, s = e.reduce(0, +), p = e.map { $0 / s }
                r = p
                r[Int(data.targets[n])] -= 1
                let pDotRf = zip(p, rf).map(*).reduce(0, +)
                rr = (0..<c).map { p[$0] * rf[$0] - p[$0] * pDotRf }
            } else {
                r = [f[0] - data.targets[n]]
                rr = [rf[0]]
            }
            // ∇W₂ = r z̃ᵀ: R{∇W₂} = R{r} z̃ᵀ + r R{z̃}ᵀ.
            for cc in 0..<c {
                for j in 0...h { result[off + cc * (h + 1) + j] += rr[cc] * z[j] + (gaussNewtonOnly ? 0 : r[cc] * rz[j]) }
            }
            // δ = (W₂ᵀr)⊙tanh′: R{δ} = (V₂ᵀr + W₂ᵀR{r})⊙tanh′ + (W₂ᵀr)⊙tanh″⊙R{a}; ∇W₁ = δx̃ᵀ.
            for j in 0..<h {
                let back = (0..<c).reduce(0) { $0 + w2($1, j) * r[$1] }
                let rBack = (0..<c).reduce(0) { $0 + w2($1, j) * rr[$1] + (gaussNewtonOnly ? 0 : v2($1, j) * r[$1]) }
                let rDelta = rBack * tp[j] + (gaussNewtonOnly ? 0 : back * tpp[j] * rAct[j])
                for k in 0..<d1 { result[j * d1 + k] += rDelta * x[k] }
            }
        }
        return result.indices.map { result[$0] / Double(data.count) + model.l2 * v[$0] }
    }

    /// For the MLPs, H·v and GGN·v against the R-operator on random directions, to rounding
    /// (10⁻¹² relative): the closed-form residual blocks and the GGN's factor both checked by
    /// an independent derivation.
    @Test func mlpProductsMatchTheROperator() throws {
        for (name, model) in try Self.models() where model.architecture.isMLP {
            let theta = try Self.theta(model)
            let (ggn, hessian, _) = try Self.curvature(model, theta)
            let stream = try RandomStream(seed: 99)
            for _ in 0..<3 {
                let v = (0..<model.dimension).map { _ in stream.gaussian() }
                for (matrix, only, what) in [(hessian, false, "H·v"), (ggn, true, "GGN·v")] {
                    let product = (0..<model.dimension).map { i in (0..<model.dimension).reduce(0) { $0 + matrix[i, $1] * v[$1] } }
                    let reference = Self.rOperator(model, theta, v, gaussNewtonOnly: only)
                    let error = Self.norm(zip(product, reference).map(-)) / Self.norm(reference)
                    #expect(error < 1e-12, "\(name) \(what): relative error \(error)")
                }
            }
        }
    }

    /// The mean of the per-sample gradients (each on one row, with λθ) is the full-batch
    /// gradient, to rounding; and the power sums Σₙ(∇ℓₙ)ᵏ (k = 1…4, one GEMM per layer) equal
    /// an explicit loop over the samples.
    @Test func perSampleGradientsAndTheirPowerSums() throws {
        for (name, model) in try Self.models() {
            let theta = try Self.theta(model)
            let n = model.data.count, d = model.dimension
            let perSample = (0..<n).map { Self.gradient(model, theta, rows: [$0]) }
            let full = Self.gradient(model, theta)
            let mean = (0..<d).map { i in perSample.reduce(0) { $0 + $1[i] } / Double(n) }
            #expect(Self.norm(zip(mean, full).map(-)) <= 1e-14 * Self.norm(full), "\(name): mean of per-sample gradients")
            // Power sums are of the data term: subtract λθ.
            let data = perSample.map { g in (0..<d).map { g[$0] - model.l2 * theta[$0] } }
            var sums = [Double](repeating: 0, count: 4 * d)
            let buffers = ModelBuffers(model.architecture, rows: n)
            _ = sums.withUnsafeMutableBufferPointer { s in
                theta.withUnsafeBufferPointer { model.perSamplePowerSums($0.baseAddress!, buffers, into: (0..<4).map { s.baseAddress! + $0 * d }) }
            }
            for k in 1...4 {
                let loop = (0..<d).map { i in data.reduce(0) { $0 + pow($1[i], Double(k)) } }
                let gemm = Array(sums[((k - 1) * d)..<(k * d)])
                let error = Self.norm(zip(gemm, loop).map(-)) / Self.norm(loop)
                #expect(error < 1e-12, "\(name): Σ g^\(k) relative error \(error)")
            }
        }
    }

    /// M_B against its definition, by enumeration: E[g_B⊙g_B] over all C(12, 4) = 495 minibatches of
    /// 4 rows drawn without replacement, each g_B from the minibatch code path (λθ included);
    /// and both kurtoses against brute force: E[gₙ⁴]/E[gₙ²]² over the samples, and over all 12³
    /// ordered triples drawn with replacement for the minibatch mean of B = 3. To rounding (10⁻¹⁰).
    @Test func minibatchMomentsMatchEnumeration() throws {
        for (name, model) in try Self.models() where model.dimension < 40 {
            let theta = try Self.theta(model)
            let n = model.data.count, d = model.dimension
            var sums = [Double](repeating: 0, count: 4 * d)
            _ = sums.withUnsafeMutableBufferPointer { s in
                theta.withUnsafeBufferPointer { model.perSamplePowerSums($0.baseAddress!, ModelBuffers(model.architecture, rows: n), into: (0..<4).map { s.baseAddress! + $0 * d }) }
            }
            func moments(_ i: Int, batch: Int) -> (minibatch: Double, kurtosisPerSample: Double, kurtosisMinibatch: Double) {
                NetworkStudy.coordinateMoments(sums[i], sums[d + i], sums[2 * d + i], sums[3 * d + i], rows: n, batch: batch, shift: model.l2 * theta[i])
            }
            // Without replacement, B = 4.
            var expected = [Double](repeating: 0, count: d), subsets = 0
            for a in 0..<n { for b in (a + 1)..<n { for c in (b + 1)..<n { for e in (c + 1)..<n {
                let g = Self.gradient(model, theta, rows: [a, b, c, e])
                for i in 0..<d { expected[i] += g[i] * g[i] }
                subsets += 1
            }}}}
            #expect(subsets == 495)
            for i in 0..<d {
                let mB = moments(i, batch: 4).minibatch, truth = expected[i] / Double(subsets)
                #expect(abs(mB - truth) <= 1e-10 * truth, "\(name): M_B at \(i): \(mB) against \(truth)")
            }
            // Kurtoses.
            let perSample = (0..<n).map { Self.gradient(model, theta, rows: [$0]) }
            for i in 0..<d {
                let x = perSample.map { $0[i] }
                let m2 = x.reduce(0) { $0 + $1 * $1 } / Double(n), m4 = x.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
                let k = moments(i, batch: 3)
                #expect(abs(k.kurtosisPerSample - m4 / (m2 * m2)) <= 1e-10 * m4 / (m2 * m2), "\(name): per-sample kurtosis at \(i)")
                var s2 = 0.0, s4 = 0.0
                for a in 0..<n { for b in 0..<n { for c in 0..<n {
                    let mean = (x[a] + x[b] + x[c]) / 3
                    s2 += mean * mean
                    s4 += mean * mean * mean * mean
                }}}
                let truth = (s4 / 1728) / ((s2 / 1728) * (s2 / 1728))
                #expect(abs(k.kurtosisMinibatch - truth) <= 1e-10 * truth, "\(name): minibatch kurtosis at \(i): \(k.kurtosisMinibatch) against \(truth)")
            }
        }
    }

    /// Adam against a plain reference loop on the same stream (initialisation, Fisher–Yates
    /// shuffles each epoch with the last partial batch dropped, minibatch gradients, bias
    /// corrections): θ and v̂ after 7 steps (N = 12, B = 5: 2 steps an epoch, so 4 shuffles) to
    /// 10⁻¹²; at t = 1, v̂₁ = g₁² (to 4 ulps); and the wandering EMA (snapshots every 3 steps) equal to
    /// Σₜwₜḡ(θ₍ₛ₍ₜ₎₎)², wₜ = (1−β₂)β₂^(T−t)/(1−β₂ᵀ), each step t weighted by itself and given its
    /// block's snapshot s(t).
    @Test func adamMatchesAReferenceLoop() throws {
        let model = try Self.models()[1].model
        let settings = AdamSettings(lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8)
        var trainer = AdamTrainer(model: model, settings: settings, batch: 5)
        trainer.snapshotInterval = 3
        let (n, d, steps) = (model.data.count, model.dimension, 7)
        let buffers = ModelBuffers(model.architecture, rows: n)

        // t = 1.
        let one = TrainingState(dimension: d, rows: n)
        let firstStream = try RandomStream(seed: 5)
        trainer.start(one, firstStream)
        let start = one.theta
        trainer.train(one, steps: 1, firstStream, buffers)

        let state = TrainingState(dimension: d, rows: n)
        let stream = try RandomStream(seed: 5)
        trainer.start(state, stream)
        trainer.train(state, steps: steps, stream, buffers)

        let reference = try RandomStream(seed: 5)
        var theta = [Double](repeating: 0, count: d)
        theta.withUnsafeMutableBufferPointer { model.initialise($0.baseAddress!, reference) }
        #expect(theta == start)
        var order = Array(0..<n), m = [Double](repeating: 0, count: d), v = m
        var snapshots: [[Double]] = [], blockOf: [Int] = []
        for t in 1...steps {
            let position = (t - 1) % (n / 5)
            if position == 0 {
                for i in stride(from: n - 1, through: 1, by: -1) { order.swapAt(i, reference.uniformInt(below: i + 1)) }
            }
            let g = Self.gradient(model, theta, rows: Array(order[(position * 5)..<(position * 5 + 5)]))
            if t == 1 {
                for i in 0..<d {
                    let vHat = one.vHat(i, beta2: settings.beta2)
                    #expect(abs(vHat - g[i] * g[i]) <= 4 * Double.ulpOfOne * g[i] * g[i], "v̂₁ = g₁² at \(i)")
                }
            }
            if t % 3 == 0 || t == steps { snapshots.append(Self.gradient(model, theta)) }
            blockOf.append((t - 1) / 3)
            for i in 0..<d {
                m[i] = settings.beta1 * m[i] + (1 - settings.beta1) * g[i]
                v[i] = settings.beta2 * v[i] + (1 - settings.beta2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(settings.beta1, Double(t))), vHat = v[i] / (1 - pow(settings.beta2, Double(t)))
                theta[i] -= settings.lr * mHat / (vHat.squareRoot() + settings.eps)
            }
        }
        for i in 0..<d {
            let vHat = v[i] / (1 - pow(settings.beta2, Double(steps)))
            #expect(abs(state.vHat(i, beta2: settings.beta2) - vHat) <= 1e-12 * vHat, "v̂ at \(i)")
            #expect(abs(state.theta[i] - theta[i]) <= 1e-12 * max(1, abs(theta[i])), "θ at \(i)")
            var wandering = 0.0
            for t in 1...steps {
                let weight = (1 - settings.beta2) * pow(settings.beta2, Double(steps - t)) / (1 - pow(settings.beta2, Double(steps)))
                let g = snapshots[blockOf[t - 1]][i]
                wandering += weight * g * g
            }
            #expect(abs(state.wanderingHat(i, beta2: settings.beta2) - wandering) <= 1e-12 * wandering, "wandering EMA at \(i)")
        }
    }

    /// With the full batch (B = N) the wandering EMA takes ḡ at every step: it equals v to
    /// rounding (the same gradients, summed over the rows in another order), so the share is 1.
    @Test func fullBatchWanderingIsTheWholeOfV() throws {
        let model = try Self.models()[3].model
        let trainer = AdamTrainer(model: model, settings: AdamSettings(lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8), batch: model.data.count)
        let state = TrainingState(dimension: model.dimension, rows: model.data.count)
        let stream = try RandomStream(seed: 8)
        trainer.start(state, stream)
        trainer.train(state, steps: 250, stream, ModelBuffers(model.architecture, rows: model.data.count))
        for i in 0..<model.dimension {
            #expect(abs(state.wandering[i] - state.v[i]) <= 1e-12 * state.v[i], "coordinate \(i)")
        }
    }

    /// One replication of a small real cell end to end: every output finite, the slope of
    /// log v̂ on log M_B positive, sharpness positive, shares in [0, 1], R² in [0, 1], the edge
    /// 38 at β₁ = 0.9, accuracy present for digits only; and 3 × H coordinates (the constant
    /// pixels' weights) left out of the digits fits.
    @Test func aReplicationGivesTheContractQuantities() throws {
        let text = #"{"study": "network", "seed": 3, "replications": 2, "fixed": {"hidden": 4, "steps": 60, "batch": 64}, "grid": {"data": ["digits", "diabetes"]}}"#
        let config = try Config(file: "n.json", json: JSONValue.parse(Array(text.utf8)), studies: allStudies)
        let runner = Runner(config: config, threads: 1)
        for cell in 0..<2 {
            let estimates = try runner.replicate(cell: cell, replication: 0)
            var named: [String: Double] = [:]
            for e in estimates where e.output.index == nil { named[e.output.quantity] = e.estimate }
            #expect(estimates.allSatisfy { $0.estimate.isFinite })
            for key in ["slope_minibatch", "slope_gauss_newton", "slope_hessian_squared", "slope_hessian_diagonal", "sharpness", "loss"] {
                #expect((named[key] ?? -1) > 0, "cell \(cell): \(key) = \(String(describing: named[key]))")
            }
            for key in ["r2_minibatch", "r2_gauss_newton", "share_wandering", "residual_ratio"] {
                #expect((0...1).contains(named[key] ?? -1), "cell \(cell): \(key) = \(String(describing: named[key]))")
            }
            #expect(abs((named["edge"] ?? 0) - 38) < 1e-12)
            #expect((named["accuracy"] != nil) == (cell == 0))
            let excluded: Double = cell == 0 ? 12 : 0, parameters: Double = cell == 0 ? 310 : 49
            #expect(named["excluded_minibatch"] == excluded)
            #expect(named["parameters"] == parameters)
        }
    }
}
