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

/// Unfolds unsigned 8-bit images (batch, channels, height, width) into patches (batch·H'·W', channels·kh·kw),
/// one row per output pixel in the weight's (channel, kernel row, kernel column) order; taps outside the
/// image hold `padding_code`.
void nabla_uint8_unfold(long batch, long channels, long height, long width, long kernel_height, long kernel_width,
                        long stride_height, long stride_width, long padding_top, long padding_left,
                        long dilation_height, long dilation_width, long output_height, long output_width,
                        const uint8_t *images, uint8_t padding_code, uint8_t *patches);

/// Rescales int32 products (rows, outputs) to float: out = (acc − correction[o])·multiplier[o] + bias[o],
/// then max(out, 0) when `relu`. Row r, output o goes to result[(r / pixels · outputs + o) · pixels + r % pixels].
void nabla_int8_rescale(long rows, long outputs, long pixels, const int32_t *accumulators, const int32_t *corrections,
                        const float *multipliers, const float *bias, bool relu, float *result);

/// Affine quantisation of `count` floats: clamp(round_half_even(x · inverse_scale) + zero_point, 0, 255).
void nabla_uint8_quantize(long count, const float *values, float inverse_scale, int32_t zero_point, uint8_t *codes);

#endif
