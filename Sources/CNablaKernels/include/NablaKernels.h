#ifndef NABLA_KERNELS_H
#define NABLA_KERNELS_H

#include <stdbool.h>

/// Whether this processor runs `nabla_sgemm` (it needs AVX-512F). Where it does not, callers use BLAS.
bool nabla_sgemm_available(void);

/// Row-major single-precision matrix product on the calling thread:
/// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`, where op(A) is m×k and op(B) is k×n.
/// `transpose_a` means A is stored k×m (so op(A) = Aᵀ), likewise for B; lda, ldb and ldc are row strides.
void nabla_sgemm(bool transpose_a, bool transpose_b, long m, long n, long k,
                 const float *a, long lda, const float *b, long ldb,
                 float *c, long ldc, bool accumulate);

/// The packed form of A's first `rows` rows and `depths` depth indices as `nabla_sgemm` lays it out
/// (panels of 12 rows, zero past `rows`), written to `packed`, which holds ⌈rows / 12⌉ · 12 · depths
/// floats. For tests: it writes nothing past that size. Needs AVX-512F, like `nabla_sgemm`.
void nabla_pack_a(bool transpose_a, const float *a, long lda, long rows, long depths, float *packed);

#endif
