import MonteCarlo

/// The quantities `Dynamics` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension Dynamics {
    public enum Quantities {
        public static let covDistanceIdentity = Quantity("cov_distance_identity")
        public static let covDistancePreconditioner = Quantity("cov_distance_preconditioner")
        public static let exponentAbove = Quantity("exponent_above")
        public static let exponentBelow = Quantity("exponent_below")
        public static let hC = Quantity("h_c")
        public static let newtonRatio = Quantity("newton_ratio")
        public static let passage = Quantity("passage")
        public static let preconditionedSharpness = Quantity("preconditioned_sharpness")
        public static let preconditionedSharpnessFinal = Quantity("preconditioned_sharpness_final")
        public static let ratioDiagonalSquared = Quantity("ratio_diagonal_squared")
        public static let ratioHessianSquared = Quantity("ratio_hessian_squared")
        public static let ratioNoise = Quantity("ratio_noise")
        public static let sharpness = Quantity("sharpness")
        public static let spreadDiagonalSquared = Quantity("spread_diagonal_squared")
        public static let spreadHessianSquared = Quantity("spread_hessian_squared")
        public static let spreadNoise = Quantity("spread_noise")
        public static let sqrtVGap = Quantity("sqrt_v_gap")
        public static let v = Quantity("v")
        public static let varDelta = Quantity("var_delta")
        public static let varDeltaSlope = Quantity("var_delta_slope")
    }
}
