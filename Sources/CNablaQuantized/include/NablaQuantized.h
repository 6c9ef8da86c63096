#ifndef NABLA_QUANTIZED_H
#define NABLA_QUANTIZED_H

#include <stdbool.h>
#include <stdint.h>

/// Whether this processor has AVX-512 VNNI (`vpdpbusd`), which `nabla_int8_matrix_product` then uses.
bool nabla_int8_vnni_available(void);

/// Row-major integer matrix product with 32-bit accumulation: C[i][j] = Σ_p A[i][p] · B[j][p].
/// A is m×k unsigned 8-bit (activations), B is n×k signed 8-bit (weights, one row per output),
/// C is m×n 32-bit. `use_vnni` selects the AVX-512 VNNI path (callers pass it only where
/// `nabla_int8_vnni_available()`); otherwise a portable loop runs. Both give the exact same integers.
void nabla_int8_matrix_product(long m, long n, long k,
                               const uint8_t *a, const int8_t *b, int32_t *c, bool use_vnni);

#endif
