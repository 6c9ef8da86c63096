#include "NablaQuantized.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

long nabla_int8_packed_size(long n, long k) { return ((n + 15) / 16) * ((k + 3) / 4) * 64; }

void nabla_int8_pack_weights(long n, long k, const int8_t *b, int8_t *packed) {
    long quads = (k + 3) / 4;
    memset(packed, 0, (size_t)nabla_int8_packed_size(n, k));
    for (long j = 0; j < n; j++)
        for (long p = 0; p < k; p++)
            packed[((j / 16) * quads + p / 4) * 64 + (j % 16) * 4 + p % 4] = b[j * k + p];
}

// One finished sum, as the portable path stores it. The order of operations (subtract in int32, convert,
// one fused multiply-add, clamp, round half to even) is the vector path's, so both give the same bits.
static inline void store_one(const nabla_int8_epilogue *e, long i, long j, int32_t sum) {
    if (e->mode == nabla_int8_store_sums) {
        ((int32_t *)e->output)[i * e->stride + j] = sum;
        return;
    }
    float value = fmaf((float)(sum - e->corrections[j]), e->multipliers[j], e->offsets[j]);
    if (e->mode == nabla_int8_store_codes) {
        value = value < e->low ? e->low : (value > e->high ? e->high : value);
        ((uint8_t *)e->output)[i * e->stride + j] = (uint8_t)(int32_t)nearbyintf(value);
    } else {
        if (e->relu) value = value > 0 ? value : 0;
        ((float *)e->output)[i * e->stride + j] = value;
    }
}

// Portable path: plain loops; compilers vectorise the inner product.
static void product_portable(long m, long n, long k, const uint8_t *a, long lda, const int8_t *b, const nabla_int8_epilogue *e) {
    for (long i = 0; i < m; i++) {
        const uint8_t *row = a + i * lda;
        for (long j = 0; j < n; j++) {
            const int8_t *column = b + j * k;
            int32_t sum = 0;
            for (long p = 0; p < k; p++) sum += (int32_t)row[p] * (int32_t)column[p];
            store_one(e, i, j, sum);
        }
    }
}

#if defined(__x86_64__)
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// 16 finished sums (row i, outputs j ..< j + 16, the first `width` real) through the epilogue.
VNNI_TARGET static inline __attribute__((always_inline))
void store_vector(const nabla_int8_epilogue *e, long i, long j, long width, __m512i sums) {
    __mmask16 mask = width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1);
    if (e->mode == nabla_int8_store_sums) {
        _mm512_mask_storeu_epi32((int32_t *)e->output + i * e->stride + j, mask, sums);
        return;
    }
    __m512i corrections = _mm512_maskz_loadu_epi32(mask, e->corrections + j);
    __m512 value = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sums, corrections)),
                                   _mm512_maskz_loadu_ps(mask, e->multipliers + j), _mm512_maskz_loadu_ps(mask, e->offsets + j));
    if (e->mode == nabla_int8_store_codes) {
        value = _mm512_min_ps(_mm512_max_ps(value, _mm512_set1_ps(e->low)), _mm512_set1_ps(e->high));
        __m128i codes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(value));
        _mm_mask_storeu_epi8((uint8_t *)e->output + i * e->stride + j, mask, codes);
    } else {
        if (e->relu) value = _mm512_max_ps(value, _mm512_setzero_ps());
        _mm512_mask_storeu_ps((float *)e->output + i * e->stride + j, mask, value);
    }
}

// Four bytes of a row from depth p on, zero past k (never read out of bounds).
static inline __attribute__((always_inline)) int32_t quad_at(const uint8_t *row, long p, long k) {
    uint32_t quad = 0;
    for (long b = 0; b < 4 && p + b < k; b++) quad |= (uint32_t)row[p + b] << (8 * b);
    return (int32_t)quad;
}

// A tile of ROWS rows × PANELS·16 outputs: every quad of depth loads PANELS weight vectors once and
// broadcasts 4 bytes of each row once, for ROWS·PANELS vpdpbusd into accumulators that stay in registers
// (ROWS·PANELS ≤ 24 of the 32 vector registers). The tile's sums go through the epilogue in registers.
VNNI_TARGET static inline __attribute__((always_inline))
void tile(const int ROWS, const int PANELS, long i, long panel, long n, long k, const uint8_t *a, long lda,
          const int8_t *packed, const nabla_int8_epilogue *e) {
    long quads = (k + 3) / 4, whole = k / 4;
    const int8_t *weights = packed + panel * quads * 64;
    __m512i sums[12][4];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < PANELS; c++) sums[r][c] = _mm512_setzero_si512();
    const uint8_t *rows = a + i * lda;
    const int8_t *next = weights;
    for (long q = 0; q < whole; q++, next += 64) {
        __m512i w[4];
        for (int c = 0; c < PANELS; c++) w[c] = _mm512_loadu_si512((const void *)(next + c * quads * 64));
        for (int r = 0; r < ROWS; r++) {
            int32_t quad;
            memcpy(&quad, rows + r * lda + q * 4, 4);
            __m512i x = _mm512_set1_epi32(quad);
            for (int c = 0; c < PANELS; c++) sums[r][c] = _mm512_dpbusd_epi32(sums[r][c], x, w[c]);
        }
    }
    if (whole < quads) {
        // The last, partial quad. Its weights past k are 0, so when rows are padded to whole quads
        // (lda ≥ 4·quads) the bytes past k, whatever they hold, add nothing and are read as they are;
        // otherwise they are not read at all.
        __m512i w[4];
        for (int c = 0; c < PANELS; c++) w[c] = _mm512_loadu_si512((const void *)(next + c * quads * 64));
        bool padded = lda >= quads * 4;
        for (int r = 0; r < ROWS; r++) {
            int32_t quad;
            if (padded) memcpy(&quad, rows + r * lda + whole * 4, 4);
            else quad = quad_at(rows + r * lda, whole * 4, k);
            __m512i x = _mm512_set1_epi32(quad);
            for (int c = 0; c < PANELS; c++) sums[r][c] = _mm512_dpbusd_epi32(sums[r][c], x, w[c]);
        }
    }
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < PANELS; c++) {
            long j = (panel + c) * 16;
            store_vector(e, i + r, j, n - j, sums[r][c]);
        }
}

// Panels are taken four at a time (64 outputs), rows 6 at a time (12 when a group has one or two panels).
VNNI_TARGET static void product_vnni(long m, long n, long k, const uint8_t *a, long lda, const int8_t *packed,
                                     const nabla_int8_epilogue *e) {
    long panels = (n + 15) / 16;
    for (long panel = 0; panel < panels; panel += 4) {
        long group = panels - panel < 4 ? panels - panel : 4;
        long i = 0;
        switch (group) {
        case 1: for (; i + 12 <= m; i += 12) tile(12, 1, i, panel, n, k, a, lda, packed, e);
                for (; i < m; i++) tile(1, 1, i, panel, n, k, a, lda, packed, e);
                break;
        case 2: for (; i + 12 <= m; i += 12) tile(12, 2, i, panel, n, k, a, lda, packed, e);
                for (; i < m; i++) tile(1, 2, i, panel, n, k, a, lda, packed, e);
                break;
        case 3: for (; i + 6 <= m; i += 6) tile(6, 3, i, panel, n, k, a, lda, packed, e);
                for (; i < m; i++) tile(1, 3, i, panel, n, k, a, lda, packed, e);
                break;
        default: for (; i + 6 <= m; i += 6) tile(6, 4, i, panel, n, k, a, lda, packed, e);
                 for (; i < m; i++) tile(1, 4, i, panel, n, k, a, lda, packed, e);
                 break;
        }
    }
}
#endif

void nabla_int8_product(long m, long n, long k, const uint8_t *a, long lda, const int8_t *b, const int8_t *packed,
                        const nabla_int8_epilogue *epilogue, bool use_vnni) {
#if defined(__x86_64__)
    if (use_vnni) { product_vnni(m, n, k, a, lda, packed, epilogue); return; }
#endif
    (void)use_vnni; (void)packed;
    product_portable(m, n, k, a, lda, b, epilogue);
}

void nabla_int8_convolution(const nabla_window_geometry *g, long batch, const uint8_t *images, uint8_t padding_code,
                            long outputs, const int8_t *b, const int8_t *packed, uint8_t *scratch,
                            const nabla_int8_epilogue *epilogue, bool use_vnni) {
    long channels = g->channels, depth = g->kernel_height * g->kernel_width * channels;
    long pixels = g->output_height * g->output_width, image_size = g->height * g->width * channels;
    size_t element = epilogue->mode == nabla_int8_store_codes ? 1 : 4;
    // Rows padded to whole quads of depth: the product then reads the last quad without a byte loop.
    long row_length = (depth + 3) / 4 * 4, span = g->kernel_width * channels;
    for (long n = 0; n < batch; n++) {
        const uint8_t *image = images + n * image_size;
        for (long oy = 0; oy < g->output_height; oy++) {
            for (long ox = 0; ox < g->output_width; ox++) {
                uint8_t *out = scratch + (oy * g->output_width + ox) * row_length;
                long left = ox * g->stride_width - g->padding_left;
                bool whole_rows = g->dilation_width == 1 && left >= 0 && left + g->kernel_width <= g->width;
                for (long ky = 0; ky < g->kernel_height; ky++) {
                    long y = oy * g->stride_height - g->padding_top + ky * g->dilation_height;
                    if (y < 0 || y >= g->height) {
                        memset(out, padding_code, (size_t)span);
                        out += span;
                    } else if (whole_rows) {
                        // The window's taps on this image row are adjacent pixels: one run of bytes.
                        const uint8_t *source = image + (y * g->width + left) * channels;
                        if (span >= 16) memcpy(out, source, (size_t)span);
                        else for (long b = 0; b < span; b++) out[b] = source[b];
                        out += span;
                    } else {
                        for (long kx = 0; kx < g->kernel_width; kx++) {
                            long x = left + kx * g->dilation_width;
                            if (x < 0 || x >= g->width) memset(out, padding_code, (size_t)channels);
                            else memcpy(out, image + (y * g->width + x) * channels, (size_t)channels);
                            out += channels;
                        }
                    }
                }
                for (long b = depth; b < row_length; b++) *out++ = 0;
            }
        }
        nabla_int8_epilogue part = *epilogue;
        part.output = (char *)epilogue->output + (size_t)(n * pixels * epilogue->stride) * element;
        nabla_int8_product(pixels, outputs, depth, scratch, row_length, b, packed, &part, use_vnni);
    }
}

void nabla_uint8_max_pool(const nabla_window_geometry *g, long batch, const uint8_t *images, uint8_t *pooled) {
    long channels = g->channels;
    for (long n = 0; n < batch; n++) {
        const uint8_t *image = images + n * g->height * g->width * channels;
        for (long oy = 0; oy < g->output_height; oy++) {
            for (long ox = 0; ox < g->output_width; ox++) {
                uint8_t *out = pooled + ((n * g->output_height + oy) * g->output_width + ox) * channels;
                memset(out, 0, (size_t)channels);
                for (long ky = 0; ky < g->kernel_height; ky++) {
                    long y = oy * g->stride_height - g->padding_top + ky * g->dilation_height;
                    if (y < 0 || y >= g->height) continue;
                    for (long kx = 0; kx < g->kernel_width; kx++) {
                        long x = ox * g->stride_width - g->padding_left + kx * g->dilation_width;
                        if (x < 0 || x >= g->width) continue;
                        const uint8_t *tap = image + (y * g->width + x) * channels;
                        for (long c = 0; c < channels; c++) out[c] = tap[c] > out[c] ? tap[c] : out[c];
                    }
                }
            }
        }
    }
}

void nabla_uint8_quantize_channels_last(long batch, long channels, long pixels, const float *values, float inverse_scale,
                                        int32_t zero_point, uint8_t *codes) {
    float zero = (float)zero_point;
    for (long n = 0; n < batch; n++)
        for (long c = 0; c < channels; c++) {
            const float *plane = values + (n * channels + c) * pixels;
            uint8_t *target = codes + n * pixels * channels + c;
            for (long p = 0; p < pixels; p++) {
                float code = nearbyintf(plane[p] * inverse_scale) + zero;
                code = code < 0 ? 0 : (code > 255 ? 255 : code);
                target[p * channels] = (uint8_t)code;
            }
        }
}
