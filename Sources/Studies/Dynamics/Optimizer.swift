import MonteCarlo

/// The optimizers of docs/SCIENCE.md T5 as one update rule, so that a single stepping loop serves all:
///
///     m ← β₁m + (1−β₁)g,      m̂ = m/(1−β₁ᵗ)                       (β₁ = 0 for SGD and RMSProp)
///     v ← β₂v + (1−β₂)·r²,    v̂ = v/(1−β₂ᵗ),  r = g (Adam, RMSProp) or g − m (AdaBelief)
///     δ ← δ − η·m̂/(√v̂ + ε)                                      (√v̂ + ε = 1 for SGD)
public enum Optimizer: String, Choice {
    case sgd, rmsprop, adam, adabelief

    /// The β₁ the rule uses: the config's for Adam and AdaBelief, 0 for SGD and RMSProp.
    func momentum(_ beta1: Double) -> Double {
        switch self {
        case .sgd, .rmsprop: 0
        case .adam, .adabelief: beta1
        }
    }

    /// Whether the step is divided by √v̂ + ε.
    var isAdaptive: Bool { self != .sgd }

    /// Whether v averages (g − m)² (AdaBelief's "belief") rather than g².
    var isCentred: Bool { self == .adabelief }

    /// Whether T5 gives a theory: SGD's closed form, RMSProp's and Adam's β₂ → 1 fixed point.
    var hasTheory: Bool { self != .adabelief }
}
