import MonteCarlo

/// The quantities `GaussNewton` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension GaussNewton {
    public enum Quantities {
        public static let gnCoefficient = Quantity("gn_coefficient")
        public static let gnLaw = Quantity("gn_law")
        public static let gnRatio = Quantity("gn_ratio")
        public static let hC = Quantity("h_c")
        public static let localSlope = Quantity("local_slope")
        public static let slope = Quantity("slope")
        public static let sqrtCoefficient = Quantity("sqrt_coefficient")
        public static let v = Quantity("v")
    }
}
