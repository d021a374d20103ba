import MonteCarlo

/// The quantities `AdaBelief` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension AdaBeliefCurvature {
    public enum Quantities {
        public static let curvatureErrorCentered = Quantity("curvature_error_centered")
        public static let curvatureErrorSecondMoment = Quantity("curvature_error_second_moment")
        public static let vCentered = Quantity("v_centered")
        public static let vSecondMoment = Quantity("v_second_moment")
    }
}
