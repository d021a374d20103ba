// The few LAPACK routines the package calls, as Fortran symbols (trailing underscore, every
// argument by pointer, column-major arrays, hidden string lengths omitted: each string argument
// here is one character, which gfortran-built LAPACK reads without its length).
//
// Debian's OpenBLAS (libopenblas, the `OpenBLAS` trait) exports them; nothing here is called
// when the trait is off, so the package then links and runs without any LAPACK.
#ifndef HESSIAN_STUDY_CLAPACK_H
#define HESSIAN_STUDY_CLAPACK_H

/// Eigenvalues (and with jobz = 'V' eigenvectors) of a symmetric matrix by the MRRR algorithm;
/// range 'A' for all, 'I' for the il-th through iu-th smallest (1-based). Destroys `a`.
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
             const double *vl, const double *vu, const int *il, const int *iu, const double *abstol,
             int *m, double *w, double *z, const int *ldz, int *isuppz,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/// Eigenvalues and eigenvectors of a symmetric matrix by divide and conquer; `a` becomes the
/// eigenvectors (column-major: one per column), `w` the eigenvalues in ascending order.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/// Forms the m×n matrix Q = H₁⋯H_k with orthonormal columns from k Householder reflectors
/// Hᵢ = I − τᵢ·vᵢ·vᵢᵀ stored below the diagonal as `dgeqrf` leaves them (vᵢ's leading 1
/// implied), in place.
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);

/// Cholesky factorisation of a symmetric positive-definite matrix (the `uplo` triangle only).
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#endif
