// GSL's error handler, replaced. GSL's default handler calls abort(); the one installed here
// only records the reason GSL gives, per thread, so that the Swift layer (GSL/GSLError.swift)
// can throw it with the status the failing call returns.
#ifndef HESSIAN_STUDY_CGSLERRORS_H
#define HESSIAN_STUDY_CGSLERRORS_H

/// Makes GSL report errors by status code (never abort) and remember each reason.
void hs_install_error_handler(void);

/// The reason GSL gave for the most recent error on this thread ("" if none).
const char *hs_last_error_reason(void);

/// Forgets this thread's recorded reason.
void hs_clear_error_reason(void);

#endif
