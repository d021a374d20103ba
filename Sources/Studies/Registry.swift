import MonteCarlo
import Reporting

/// Every study the command knows, in the order `hessian-study list` shows them.
public let allStudies: [any ReportedStudy.Type] = [SqrtLaw.self, EMAAccuracy.self, AdaBeliefCurvature.self, GaussNewton.self, Dynamics.self, NetworkStudy.self]
