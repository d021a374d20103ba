// The GNU Scientific Library as one Clang module for Swift.
//
// GSL's generator types are `extern const gsl_rng_type *` globals, which Swift 6's strict
// concurrency checking refuses to read; the `hs_rng_*` accessors return them instead.
// GSL's error handler is replaced in the C target CGSLErrors, which keeps its state in a .c file.
#ifndef HESSIAN_STUDY_CGSL_SHIM_H
#define HESSIAN_STUDY_CGSL_SHIM_H

#include <dlfcn.h>

#include <gsl/gsl_version.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_cdf.h>

// MARK: Generators

static inline const gsl_rng_type *hs_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_rng_type *hs_rng_taus2(void) { return gsl_rng_taus2; }
static inline const gsl_rng_type *hs_rng_ranlxd2(void) { return gsl_rng_ranlxd2; }

/// GSL's run-time version string (`gsl_version`).
static inline const char *hs_gsl_version(void) { return gsl_version; }

// MARK: BLAS provenance

/// The address `cblas_dgemm` resolves to in the global lookup scope (RTLD_DEFAULT, the null
/// handle): the definition GSL's own calls bind to. NULL if no library defines it.
static inline const void *hs_cblas_dgemm_address(void) { return dlsym((void *)0, "cblas_dgemm"); }

// MARK: OpenBLAS (only called when the OpenBLAS trait is on)

extern void openblas_set_num_threads(int num_threads);
extern char *openblas_get_config(void);

#endif
