import Foundation
import GSL

/// A model of docs/SCIENCE.md, "Real training" with its loss: `linear` (f = W x̃: softmax regression on digits,
/// linear regression on diabetes) or `mlp` (one tanh hidden layer, a = W₁x̃, z = tanh a,
/// f = W₂z̃, z̃ = [z, 1]). Loss per point ℓ(f, y): cross-entropy −log softmax(f)_y, or ½(f − y)²;
/// the training loss is L(θ) = (1/n)Σₙℓₙ + ½λ‖θ‖².
///
/// θ holds the weights row by row, biases in the last column: W₁ (H × (D+1)) then W₂
/// (C × (H+1)) for the MLP, W (C × (D+1)) for the linear model. So d = H(D+1) + C(H+1)
/// (2,410 for 64-32-10) or C(D+1) (650 for 64→10).
public struct Architecture: Sendable, Equatable {
    /// D, H (0 for the linear model) and C.
    public let inputs: Int, hidden: Int, outputs: Int
    public let isClassification: Bool

    public init(inputs: Int, hidden: Int, outputs: Int, isClassification: Bool) {
        (self.inputs, self.hidden, self.outputs, self.isClassification) = (inputs, hidden, outputs, isClassification)
    }

    /// Whether there is a hidden layer.
    public var isMLP: Bool { hidden > 0 }
    /// Columns of the output layer's input: z̃ = [z, 1] (H + 1), or x̃ (D + 1).
    public var lastWidth: Int { isMLP ? hidden + 1 : inputs + 1 }
    /// Where W₂ (the output layer's weights) starts in θ.
    public var outputOffset: Int { isMLP ? hidden * (inputs + 1) : 0 }
    /// d, the number of parameters.
    public var dimension: Int { outputOffset + outputs * lastWidth }

    /// d in floating point, safe for any config numbers (memory declarations).
    public static func dimension(inputs: Double, hidden: Double, outputs: Double) -> Double {
        hidden > 0 ? hidden * (inputs + 1) + outputs * (hidden + 1) : outputs * (inputs + 1)
    }

    /// The fan-in of each parameter's layer, for the uniform ±1/√fan-in initialisation: D for
    /// W₁ (and the linear model's W), H for W₂ (biases take their layer's).
    public func fanIn(_ i: Int) -> Int { isMLP && i < outputOffset ? inputs : (isMLP ? hidden : inputs) }
}

/// A worker's buffers for a model on a data set of at most `rows` points: nothing is allocated
/// while training or evaluating.
public final class ModelBuffers {
    /// The rows of a minibatch, gathered: X̃_B (B × (D+1)) and its targets.
    var batchDesign: [Double], batchTargets: [Double]
    /// z̃ = [tanh(W₁x̃), 1] per row (n × (H+1)).
    var hidden: [Double]
    /// f, then in place r = ∂ℓ/∂f per row (n × C): p − e_y, or f − y.
    var residual: [Double]
    /// The error at the hidden layer, ∂ℓ/∂a = (W₂ᵀr)⊙(1 − z²) per row (n × H).
    var hiddenError: [Double]
    /// Powers of the factors of per-sample gradients (n × max(C, H) and n × max(D+1, H+1)).
    var powerLeft: [Double], powerRight: [Double]
    /// A (D+1) × max(D+1, C) block of the residual term of H.
    var block: [Double]
    /// Room for op(B) = Bᵀ packed by the forward pass's products: max((D+1)·H, width·C).
    var packing: [Double]

    public init(_ a: Architecture, rows: Int) {
        let width = max(a.inputs + 1, a.hidden + 1)
        batchDesign = [Double](repeating: 0, count: rows * (a.inputs + 1))
        batchTargets = [Double](repeating: 0, count: rows)
        hidden = [Double](repeating: 1, count: rows * (a.hidden + 1))
        residual = [Double](repeating: 0, count: rows * a.outputs)
        hiddenError = [Double](repeating: 0, count: rows * max(a.hidden, 1))
        powerLeft = [Double](repeating: 0, count: rows * max(a.outputs, a.hidden, 1))
        powerRight = [Double](repeating: 0, count: rows * width)
        block = [Double](repeating: 0, count: (a.inputs + 1) * max(a.inputs + 1, a.outputs))
        packing = [Double](repeating: 0, count: Self.packingCount(a))
    }

    static func packingCount(_ a: Architecture) -> Int { max((a.inputs + 1) * a.hidden, a.lastWidth * a.outputs, 1) }

    /// Doubles the buffers hold.
    static func doubles(_ a: Architecture, rows: Double) -> Double {
        let (d1, h, c) = (Double(a.inputs) + 1, Double(a.hidden), Double(a.outputs))
        return rows * (d1 + 1 + (h + 1) + c + max(h, 1) + max(c, h, 1) + max(d1, h + 1)) + d1 * max(d1, c)
            + Double(packingCount(a))
    }
}

/// A model on a data set with its L2 weight λ: the loss, its gradient on any subset of rows,
/// and (Curvature.swift) the exact second-order quantities on the whole set.
public struct NetworkModel: Sendable {
    public let architecture: Architecture
    public let data: DataSet
    public let l2: Double

    public init(data: DataSet, hidden: Int, l2: Double) {
        architecture = Architecture(inputs: data.inputs, hidden: hidden, outputs: data.outputs, isClassification: data.isClassification)
        self.data = data
        self.l2 = l2
    }

    public var dimension: Int { architecture.dimension }

    /// Forward pass on `n` rows of X̃ at `x` (targets at `y`): fills z̃ (MLP) and r = ∂ℓ/∂f per row
    /// in `buffers`; returns Σₙℓₙ and the number of rows classified correctly (arg max f = y; 0
    /// for regression).
    ///
    /// The forward and backward passes multiply with ``Portable/product(m:n:k:_:_:lda:transposeA:_:ldb:transposeB:_:ldc:packing:)``,
    /// the same bits on every CPU. Training is a trajectory, and it amplifies last bits: with
    /// OpenBLAS's products, its SkylakeX kernels moved a full-batch result (trained at the edge of
    /// stability) by 3.2% from its Haswell ones, and minibatch results by 3·10⁻¹⁰, beyond any
    /// bound from rounding. The passes are small (a minibatch of 32 rows), so plain loops cost
    /// little; Bᵀ is packed into ``ModelBuffers``'s `packing`, so that a step allocates nothing.
    func forward(_ theta: UnsafePointer<Double>, x: UnsafePointer<Double>, y: UnsafePointer<Double>, n: Int,
                 _ buffers: ModelBuffers) -> (loss: Double, correct: Int) {
        let a = architecture
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        return buffers.hidden.withUnsafeMutableBufferPointer { z in
            buffers.residual.withUnsafeMutableBufferPointer { r in
            buffers.packing.withUnsafeMutableBufferPointer { packing in
                let last: UnsafePointer<Double>
                if a.isMLP {
                    // A = X̃W₁ᵀ into the first H columns of z̃, then tanh; the last column stays 1.
                    Portable.product(m: n, n: h, k: d1, 1, x, lda: d1, theta, ldb: d1, transposeB: true, z.baseAddress!, ldc: h + 1,
                                     packing: packing.baseAddress)
                    for i in 0..<n {
                        for j in 0..<h { z[i * (h + 1) + j] = tanh(z[i * (h + 1) + j]) }
                        z[i * (h + 1) + h] = 1
                    }
                    last = UnsafePointer(z.baseAddress!)
                } else {
                    last = x
                }
                // F = L̃·W_outᵀ (n × C).
                Portable.product(m: n, n: c, k: width, 1, last, lda: width, theta + a.outputOffset, ldb: width, transposeB: true,
                                 r.baseAddress!, ldc: c, packing: packing.baseAddress)
                var loss = 0.0, correct = 0
                for i in 0..<n {
                    let row = r.baseAddress! + i * c
                    if a.isClassification {
                        let label = Int(y[i])
                        var top = 0
                        for k in 1..<c where row[k] > row[top] { top = k }
                        if top == label { correct += 1 }
                        let shift = row[top]
                        var sum = 0.0
                        for k in 0..<c { sum += exp(row[k] - shift) }
                        // ℓ = log Σ exp f − f_y; r = softmax(f) − e_y.
                        loss += log(sum) + shift - row[label]
                        for k in 0..<c { row[k] = exp(row[k] - shift) / sum }
                        row[label] -= 1
                    } else {
                        let residual = row[0] - y[i]
                        loss += 0.5 * residual * residual
                        row[0] = residual
                    }
                }
                return (loss, correct)
            }
            }
        }
    }

    /// Backward pass after ``forward`` on the same rows: gradient ← scale·Σₙ∇θℓₙ (scale 1/n for
    /// the mean), per layer one GEMM: ∇W_out = Rᵀ·L̃, and for the MLP E = (R·W₂[:, :H])⊙(1 − z²),
    /// ∇W₁ = Eᵀ·X̃. Leaves E in `buffers.hiddenError`.
    func backward(_ theta: UnsafePointer<Double>, x: UnsafePointer<Double>, n: Int, scale: Double,
                  _ buffers: ModelBuffers, into gradient: UnsafeMutablePointer<Double>) {
        let a = architecture
        let (d1, h, c, width) = (a.inputs + 1, a.hidden, a.outputs, a.lastWidth)
        buffers.hidden.withUnsafeMutableBufferPointer { z in
            buffers.residual.withUnsafeBufferPointer { r in
                buffers.hiddenError.withUnsafeMutableBufferPointer { e in
                    let last = a.isMLP ? UnsafePointer(z.baseAddress!) : x
                    Portable.product(m: c, n: width, k: n, scale, r.baseAddress!, lda: c, transposeA: true, last, ldb: width,
                                     gradient + a.outputOffset, ldc: width)
                    guard a.isMLP else { return }
                    Portable.product(m: n, n: h, k: c, 1, r.baseAddress!, lda: c, theta + a.outputOffset, ldb: width,
                                     e.baseAddress!, ldc: h)
                    for i in 0..<n {
                        for j in 0..<h {
                            let zij = z[i * (h + 1) + j]
                            e[i * h + j] *= 1 - zij * zij
                        }
                    }
                    Portable.product(m: h, n: d1, k: n, scale, e.baseAddress!, lda: h, transposeA: true, x, ldb: d1,
                                     gradient, ldc: d1)
                }
            }
        }
    }

    /// L(θ) = (1/n)Σₙℓₙ + ½λ‖θ‖² on the rows of `rows` (all N rows when nil), its gradient into
    /// `gradient`, and the rows classified correctly. The rows are gathered into the buffers'
    /// minibatch space, so `rows` may hold at most as many as the buffers were made for.
    public func lossAndGradient(_ theta: UnsafePointer<Double>, rows: UnsafeBufferPointer<Int>?, _ buffers: ModelBuffers,
                                into gradient: UnsafeMutablePointer<Double>) -> (loss: Double, correct: Int) {
        let d1 = architecture.inputs + 1
        let result: (loss: Double, correct: Int)
        let n: Int
        if let rows {
            n = rows.count
            buffers.batchDesign.withUnsafeMutableBufferPointer { bx in
                buffers.batchTargets.withUnsafeMutableBufferPointer { by in
                    data.design.withUnsafeBufferPointer { x in
                        data.targets.withUnsafeBufferPointer { y in
                            for (b, row) in rows.enumerated() {
                                for k in 0..<d1 { bx[b * d1 + k] = x[row * d1 + k] }
                                by[b] = y[row]
                            }
                        }
                    }
                }
            }
            result = buffers.batchDesign.withUnsafeBufferPointer { bx in
                buffers.batchTargets.withUnsafeBufferPointer { by in
                    let r = forward(theta, x: bx.baseAddress!, y: by.baseAddress!, n: n, buffers)
                    backward(theta, x: bx.baseAddress!, n: n, scale: 1 / Double(n), buffers, into: gradient)
                    return r
                }
            }
        } else {
            n = data.count
            result = data.design.withUnsafeBufferPointer { x in
                data.targets.withUnsafeBufferPointer { y in
                    let r = forward(theta, x: x.baseAddress!, y: y.baseAddress!, n: n, buffers)
                    backward(theta, x: x.baseAddress!, n: n, scale: 1 / Double(n), buffers, into: gradient)
                    return r
                }
            }
        }
        var penalty = 0.0
        if l2 != 0 {
            for i in 0..<dimension {
                penalty += theta[i] * theta[i]
                gradient[i] += l2 * theta[i]
            }
        }
        return (result.loss / Double(n) + 0.5 * l2 * penalty, result.correct)
    }

    /// Every weight and bias uniform on ±1/√fan-in (docs/SCIENCE.md, "Real training"), drawn in θ's order.
    public func initialise(_ theta: UnsafeMutablePointer<Double>, _ stream: RandomStream) {
        for i in 0..<dimension {
            let bound = 1 / Double(architecture.fanIn(i)).squareRoot()
            theta[i] = bound * (2 * stream.uniform() - 1)
        }
    }
}

