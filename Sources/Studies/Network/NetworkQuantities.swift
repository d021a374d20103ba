import MonteCarlo

/// The quantities `Network` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension NetworkStudy {
    public enum Quantities {
        public static let accuracy = Quantity("accuracy")
        public static let edge = Quantity("edge")
        public static let logRatioMinibatch = Quantity("log_ratio_minibatch")
        public static let loss = Quantity("loss")
        public static let medianLogRatioMinibatch = Quantity("median_log_ratio_minibatch")
        public static let parameters = Quantity("parameters")
        public static let residualRatio = Quantity("residual_ratio")
        public static let sdLogRatioMinibatch = Quantity("sd_log_ratio_minibatch")
        public static let shareWandering = Quantity("share_wandering")
        public static let sharpness = Quantity("sharpness")
        public static let t4SdLogRatio = Quantity("t4_sd_log_ratio")
        public static let t4SdLogRatioPerSample = Quantity("t4_sd_log_ratio_per_sample")

        /// The per-predictor quantities of a log-log fit of v̂ on a predictor p: its slope, R²,
        /// the coordinates left out, and the binned log₁₀ p and log₁₀ v̂.
        public static func slope(_ p: Predictor) -> Quantity { Quantity("slope_" + p.rawValue) }
        public static func r2(_ p: Predictor) -> Quantity { Quantity("r2_" + p.rawValue) }
        public static func excluded(_ p: Predictor) -> Quantity { Quantity("excluded_" + p.rawValue) }
        public static func binLog10(_ p: Predictor) -> Quantity { Quantity("bin_log10_" + p.rawValue) }
        public static func binLog10V(_ p: Predictor) -> Quantity { Quantity("bin_log10_v_" + p.rawValue) }
    }

    /// What log v̂ is fitted on: M_B, diag GGN, diag(H²) and |diag H| (docs/SCIENCE.md, "Real training").
    public enum Predictor: String, CaseIterable, Sendable {
        case minibatch, gaussNewton = "gauss_newton", hessianSquared = "hessian_squared", hessianDiagonal = "hessian_diagonal"
    }
}
