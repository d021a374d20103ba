import MonteCarlo

/// Every study the command knows, in the order `hessian-study list` shows them.
public let allStudies: [any Study.Type] = [SqrtLaw.self, EMAAccuracy.self, AdaBeliefCurvature.self, GaussNewton.self, Dynamics.self]
