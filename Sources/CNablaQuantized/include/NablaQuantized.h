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

/* Blocked VNNI product with the requantisation fused into its epilogue, channels-last int8 convolution
   and uint8 max pooling (Int8FusedProduct.c): the kernels of an int8 pipeline that keeps activations
   as uint8 codes between layers. */

/// What the int8 product does with each finished 32-bit sum `acc` of row i, output j.
typedef enum {
    /// output[i·stride + j] = acc (int32).
    nabla_int8_store_sums = 0,
    /// Requantisation to the next layer's codes (uint8):
    /// output[i·stride + j] = round_half_even(clamp(fma(float(acc − correction[j]), multiplier[j], offset[j]), low, high)).
    nabla_int8_store_codes = 1,
    /// Floats (float32): v = fma(float(acc − correction[j]), multiplier[j], offset[j]), then max(v, 0) when `relu`.
    nabla_int8_store_floats = 2,
} nabla_int8_store_mode;

/// The epilogue of an int8 product, applied in registers as each block of sums is finished.
typedef struct {
    nabla_int8_store_mode mode;
    const int32_t *corrections;   // (n) zero-point corrections: z_x · Σ_p B[j][p]
    const float *multipliers;     // (n) s_x · s_w[j] (/ s_out for codes)
    const float *offsets;         // (n) bias[j] (/ s_out + z_out for codes)
    float low, high;              // clamp of the codes (low = z_out folds a ReLU in)
    bool relu;                    // floats only
    void *output;                 // int32, uint8 or float, by mode
    long stride;                  // elements between output rows
} nabla_int8_epilogue;

/// Bytes `nabla_int8_pack_weights` writes for n outputs of depth k.
long nabla_int8_packed_size(long n, long k);

/// Repacks weights B (n×k signed 8-bit, one row per output) for the VNNI kernel: panels of 16 outputs,
/// each a run of 64-byte vectors holding, for each of its 16 outputs, 4 consecutive depth bytes (zero past k or n).
void nabla_int8_pack_weights(long n, long k, const int8_t *b, int8_t *packed);

/// Integer product of activations A (m×k unsigned 8-bit, rows `lda` bytes apart) and weights B (n×k signed
/// 8-bit) with 32-bit accumulation, Σ_p A[i][p]·B[j][p], finished by `epilogue`. `packed` is B as
/// `nabla_int8_pack_weights` wrote it, used by the VNNI path (`use_vnni`, only where
/// `nabla_int8_vnni_available()`); the portable path reads `b`. Both give the exact same results.
void nabla_int8_product(long m, long n, long k, const uint8_t *a, long lda, const int8_t *b, const int8_t *packed,
                        const nabla_int8_epilogue *epilogue, bool use_vnni);

/// The geometry of a 2-D convolution or pooling window over channels-last images.
typedef struct {
    long height, width, channels;
    long kernel_height, kernel_width;
    long stride_height, stride_width;
    long padding_top, padding_left;
    long dilation_height, dilation_width;
    long output_height, output_width;
} nabla_window_geometry;

/// An int8 convolution over `batch` channels-last images (N, H, W, C) of codes: each image is unfolded into
/// `scratch` (H'·W' rows of kh·kw·C bytes in (kernel row, kernel column, channel) order, taps outside the
/// image holding `padding_code`) and multiplied by the weights in that order; image n's H'·W' output rows
/// start `H'·W'·stride` elements after the previous image's. `scratch` holds H′·W′ rows of kh·kw·C bytes rounded up to a multiple of 4.
void nabla_int8_convolution(const nabla_window_geometry *geometry, long batch, const uint8_t *images, uint8_t padding_code,
                            long outputs, const int8_t *b, const int8_t *packed, uint8_t *scratch,
                            const nabla_int8_epilogue *epilogue, bool use_vnni);

/// Max pooling of channels-last codes (N, H, W, C) → (N, H', W', C); taps outside the image are skipped.
/// Codes are monotone in the values they stand for, so the largest code is the largest value's code.
void nabla_uint8_max_pool(const nabla_window_geometry *geometry, long batch, const uint8_t *images, uint8_t *pooled);

/// Quantises channels-first floats (N, C, P) into channels-last codes (N, P, C), as `nabla_uint8_quantize`.
void nabla_uint8_quantize_channels_last(long batch, long channels, long pixels, const float *values, float inverse_scale,
                                        int32_t zero_point, uint8_t *codes);

#endif
