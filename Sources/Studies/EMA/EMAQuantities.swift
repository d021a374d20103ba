import MonteCarlo

/// The quantities `EMA` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension EMAAccuracy {
    public enum Quantities {
        public static let beta2OptimalTheory = Quantity("beta2_optimal_theory")
        public static let mCurrentWeight = Quantity("m_current_weight")
        public static let mVariance = Quantity("m_variance")
        public static let relBias = Quantity("rel_bias")
        public static let relMse = Quantity("rel_mse")
        public static let relVar = Quantity("rel_var")
        public static let sqrtRelBias = Quantity("sqrt_rel_bias")
        public static let sqrtRelMse = Quantity("sqrt_rel_mse")
    }
}
