import Foundation
import GSL

/// The exact second-order quantities of docs/SCIENCE.md, "Real training", on the whole training
/// set, without autodiff.
extension NetworkModel {
    /// Σₙ (∇θℓₙ)ᵢᵏ for k = 1…4 into `sums[k − 1]` (each of d): the raw power sums of the
    /// per-sample gradients of the data term (without λθ). A dense layer's per-sample gradient is
    /// an outer product, gₙ = δₙ ⊗ x̃ₙ, so gₙᵏ = δₙᵏ ⊗ x̃ₙᵏ and Σₙgₙᵏ = (Δ^⊙k)ᵀ(X̃^⊙k): one GEMM
    /// per layer and power (BackPACK's SumGradSquared trick for k = 2). Returns the mean loss
    /// (data term only) and the rows classified correctly, from the same forward pass.
    public func perSamplePowerSums(_ theta: UnsafePointer<Double>, _ buffers: ModelBuffers,
                                   into sums: [UnsafeMutablePointer<Double>]) -> (loss: Double, correct: Int) {
        precondition(sums.count == 4)
        let a = architecture, n = data.count
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        return data.design.withUnsafeBufferPointer { x in
            data.targets.withUnsafeBufferPointer { y in
                let result = forward(theta, x: x.baseAddress!, y: y.baseAddress!, n: n, buffers)
                // The gradient itself is not needed here, only E: write it into the first sum.
                backward(theta, x: x.baseAddress!, n: n, scale: 1, buffers, into: sums[0])
                buffers.powerLeft.withUnsafeMutableBufferPointer { left in
                    buffers.powerRight.withUnsafeMutableBufferPointer { right in
                        buffers.residual.withUnsafeBufferPointer { r in
                            buffers.hidden.withUnsafeBufferPointer { z in
                                buffers.hiddenError.withUnsafeBufferPointer { e in
                                    let last = a.isMLP ? z.baseAddress! : x.baseAddress!
                                    for k in 1...4 {
                                        // Output layer: (R^⊙k)ᵀ(L̃^⊙k).
                                        for i in 0..<(n * c) { left[i] = Self.power(r[i], k) }
                                        for i in 0..<(n * width) { right[i] = Self.power(last[i], k) }
                                        BLAS.gemm(m: c, n: width, k: n, 1, left.baseAddress!, lda: c, transposeA: true,
                                                  right.baseAddress!, ldb: width, 0, sums[k - 1] + a.outputOffset, ldc: width)
                                        guard a.isMLP else { continue }
                                        // Hidden layer: (E^⊙k)ᵀ(X̃^⊙k).
                                        for i in 0..<(n * h) { left[i] = Self.power(e[i], k) }
                                        for i in 0..<(n * d1) { right[i] = Self.power(x[i], k) }
                                        BLAS.gemm(m: h, n: d1, k: n, 1, left.baseAddress!, lda: h, transposeA: true,
                                                  right.baseAddress!, ldb: d1, 0, sums[k - 1], ldc: d1)
                                    }
                                }
                            }
                        }
                    }
                }
                return (result.loss / Double(n), result.correct)
            }
        }
    }

    @inline(__always) static func power(_ x: Double, _ k: Int) -> Double {
        switch k {
        case 1: x
        case 2: x * x
        case 3: x * x * x
        default: (x * x) * (x * x)
        }
    }

    /// Units of the model: the rows of its weight matrices, W₁'s H rows then W_out's C rows
    /// (only C for the linear model). Row u of a layer is a contiguous run of θ, `width(u)` long
    /// (D+1 or the output layer's input width), fed by that layer's input (x̃ or z̃).
    var units: Int { architecture.hidden + architecture.outputs }

    /// Doubles of the per-sample coefficients ``gaussNewton(_:_:coefficients:into:)`` needs: N·C·units.
    static func coefficientDoubles(_ a: Architecture, rows: Double) -> Double {
        rows * Double(a.outputs) * Double(a.hidden + a.outputs)
    }

    /// GGN = (1/N)ΣₙJₙᵀΛₙJₙ + λI into `ggn` (d × d, both triangles), Jₙ = ∂fₙ/∂θ and Λ the loss
    /// Hessian in f. For softmax Λ = diag p − ppᵀ = AAᵀ with A = diag√p − p√pᵀ, so
    /// GGN = (1/N)ΣₙMₙᵀMₙ with Mₙ = AₙᵀJₙ (C × d); for the squared loss Λ = 1 and Mₙ = Jₙ.
    ///
    /// Mₙ has the structure of a dense layer's Jacobian: its entry for row u of a weight matrix
    /// and input k is a coefficient times the input, Mₙ[a, (u, k)] = κₙ[a, u]·inputₙ(u)ₖ, with
    ///   κ[a, c] = Γ[a, c] for W_out's row c (input l̃ = z̃, or x̃ for the linear model),
    ///   κ[a, j] = (Γ·W₂)[a, j]·(1 − zⱼ²) for W₁'s row j (input x̃),
    /// Γ[a, c] = √pₐ(δₐ꜀ − p꜀) (softmax; Γ = Aᵀ) or 1. So the GGN's block of rows u and u′ is
    ///   (1/N)Σₙ (Σₐκₙ[a, u]κₙ[a, u′])·inputₙ(u)·inputₙ(u′)ᵀ,
    /// one GEMM over the samples per pair of units (inputᵀ·diag(w)·input′): (H+C)(H+C+1)/2 GEMMs of
    /// at most (D+1)×(D+1)×N, about 10¹⁰ flops for 64-32-10 on digits instead of the 10¹¹ of
    /// `syrk` on the stacked Mₙ. `coefficients` holds at least ``coefficientDoubles(_:rows:)``.
    public func gaussNewton(_ theta: UnsafePointer<Double>, _ buffers: ModelBuffers, coefficients kappa: UnsafeMutablePointer<Double>,
                            into ggn: Matrix) throws {
        let a = architecture, n = data.count, dim = dimension, units = units
        precondition(ggn.rows == dim && ggn.columns == dim)
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        var gamma = [Double](repeating: 0, count: c * c)
        data.design.withUnsafeBufferPointer { x in
            data.targets.withUnsafeBufferPointer { y in
                _ = forward(theta, x: x.baseAddress!, y: y.baseAddress!, n: n, buffers)
                buffers.residual.withUnsafeBufferPointer { r in
                    buffers.hidden.withUnsafeBufferPointer { z in
                        // κₙ (C × units) for every sample: the hidden rows first, then the output rows.
                        for i in 0..<n {
                            if a.isClassification {
                                let label = Int(y[i])
                                for aa in 0..<c {
                                    let root = max(r[i * c + aa] + (aa == label ? 1 : 0), 0).squareRoot()
                                    for cc in 0..<c {
                                        let pc = r[i * c + cc] + (cc == label ? 1 : 0)
                                        gamma[aa * c + cc] = root * ((aa == cc ? 1 : 0) - pc)
                                    }
                                }
                            } else {
                                gamma[0] = 1
                            }
                            let row = kappa + i * c * units
                            for aa in 0..<c {
                                for j in 0..<h {
                                    var sum = 0.0
                                    for cc in 0..<c { sum += gamma[aa * c + cc] * theta[a.outputOffset + cc * width + j] }
                                    let zij = z[i * width + j]
                                    row[aa * units + j] = sum * (1 - zij * zij)
                                }
                                for cc in 0..<c { row[aa * units + h + cc] = gamma[aa * c + cc] }
                            }
                        }
                        buffers.powerRight.withUnsafeMutableBufferPointer { scaled in
                                ggn.withElements { g in
                                    // Unit u: its input, the input's width, and where its row starts in θ.
                                    func unit(_ u: Int) -> (input: UnsafePointer<Double>, width: Int, offset: Int) {
                                        u < h ? (x.baseAddress!, d1, u * d1)
                                            : (a.isMLP ? z.baseAddress! : x.baseAddress!, width, a.outputOffset + (u - h) * width)
                                    }
                                    for u in 0..<units {
                                        let left = unit(u)
                                        for v in u..<units {
                                            let right = unit(v)
                                            let (input, columns, out) = (right.input, right.width, scaled.baseAddress!)
                                            for i in 0..<n {
                                                var w = 0.0
                                                let row = kappa + i * c * units
                                                for aa in 0..<c { w += row[aa * units + u] * row[aa * units + v] }
                                                let (source, target) = (input + i * columns, out + i * columns)
                                                for k in 0..<columns { target[k] = w * source[k] }
                                            }
                                            let block = g.baseAddress! + left.offset * dim + right.offset
                                            BLAS.gemm(m: left.width, n: right.width, k: n, 1 / Double(n), left.input, lda: left.width,
                                                      transposeA: true, scaled.baseAddress!, ldb: right.width, 0, block, ldc: dim)
                                            guard u != v else { continue }
                                            for k in 0..<left.width {
                                                for l in 0..<right.width { g[(right.offset + l) * dim + left.offset + k] = block[k * dim + l] }
                                            }
                                        }
                                    }
                                }
                        }
                    }
                }
            }
        }
        if l2 != 0 { for i in 0..<dim { ggn[i, i] += l2 } }
    }

    /// H − GGN, the residual term (1/N)ΣₙΣ꜀ rₙ꜀∇²fₙ꜀ (rₙ = ∂ℓₙ/∂f), added into `matrix` (both
    /// triangles); returns ‖H − GGN‖²_F. Zero for the linear models, whose f is linear in θ. For
    /// one tanh hidden layer, with t′ = 1 − z² = tanh′(a) and
    /// tanh″(a) = −2z(1 − z²):
    ///   W₁–W₁, unit j with itself only: (1/N)Σₙ eₙⱼ x̃ₙx̃ₙᵀ, eₙⱼ = tanh″(aₙⱼ)·Σ꜀ rₙ꜀W₂[c, j];
    ///   W₁(j, k)–W₂(c, j): (1/N)Σₙ rₙ꜀ t′ₙⱼ x̃ₙₖ (W₂'s bias column and other units: 0);
    ///   W₂–W₂: 0.
    /// Each block is one GEMM over the samples.
    @discardableResult
    public func addResidual(_ theta: UnsafePointer<Double>, _ buffers: ModelBuffers, into matrix: Matrix) -> Double {
        let a = architecture, n = data.count, dim = dimension
        guard a.isMLP else { return 0 }
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        var normSquared = 0.0
        data.design.withUnsafeBufferPointer { x in
            data.targets.withUnsafeBufferPointer { y in
                _ = forward(theta, x: x.baseAddress!, y: y.baseAddress!, n: n, buffers)
                buffers.residual.withUnsafeBufferPointer { r in
                    buffers.hidden.withUnsafeBufferPointer { z in
                        buffers.powerRight.withUnsafeMutableBufferPointer { scaled in
                            buffers.block.withUnsafeMutableBufferPointer { block in
                                matrix.withElements { m in
                                    for j in 0..<h {
                                        // W₁–W₁ block of unit j: X̃ᵀ diag(eⱼ) X̃ / N.
                                        for i in 0..<n {
                                            let zij = z[i * width + j]
                                            var back = 0.0
                                            for cc in 0..<c { back += r[i * c + cc] * theta[a.outputOffset + cc * width + j] }
                                            let e = -2 * zij * (1 - zij * zij) * back
                                            for k in 0..<d1 { scaled[i * d1 + k] = e * x[i * d1 + k] }
                                        }
                                        BLAS.gemm(m: d1, n: d1, k: n, 1 / Double(n), x.baseAddress!, lda: d1, transposeA: true,
                                                  scaled.baseAddress!, ldb: d1, 0, block.baseAddress!, ldc: d1)
                                        for k in 0..<d1 {
                                            for l in 0..<d1 {
                                                let value = block[k * d1 + l]
                                                m[(j * d1 + k) * dim + j * d1 + l] += value
                                                normSquared += value * value
                                            }
                                        }
                                        // W₁(j, ·)–W₂(·, j) block: (diag(t′ⱼ)X̃)ᵀR / N, (D+1) × C.
                                        for i in 0..<n {
                                            let zij = z[i * width + j], t = 1 - zij * zij
                                            for k in 0..<d1 { scaled[i * d1 + k] = t * x[i * d1 + k] }
                                        }
                                        BLAS.gemm(m: d1, n: c, k: n, 1 / Double(n), scaled.baseAddress!, lda: d1, transposeA: true,
                                                  r.baseAddress!, ldb: c, 0, block.baseAddress!, ldc: c)
                                        for k in 0..<d1 {
                                            for cc in 0..<c {
                                                let value = block[k * c + cc]
                                                let w1 = j * d1 + k, w2 = a.outputOffset + cc * width + j
                                                m[w1 * dim + w2] += value
                                                m[w2 * dim + w1] += value
                                                normSquared += 2 * value * value
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return normSquared
    }
}
