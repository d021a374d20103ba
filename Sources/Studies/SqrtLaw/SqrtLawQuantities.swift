import MonteCarlo

/// The quantities `SqrtLaw` estimates, each named once: its outputs write them, its rules, figures and
/// tables read them (docs/RESULTS.md lists what each is).
extension SqrtLaw {
    public enum Quantities {
        public static let recoveryErrorDiag = Quantity("recovery_error_diag")
        public static let recoveryErrorFull = Quantity("recovery_error_full")
        public static let slope = Quantity("slope")
        public static let v = Quantity("v")
        public static let vOverDiagLaw = Quantity("v_over_diag_law")
    }
}
