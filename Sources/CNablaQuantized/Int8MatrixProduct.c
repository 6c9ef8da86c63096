#include "NablaQuantized.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

bool nabla_int8_vnni_available(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
#else
    return false;
#endif
}

// Portable path: plain loops; compilers vectorise the inner product.
static void int8_product_portable(long m, long n, long k, const uint8_t *a, const int8_t *b, int32_t *c) {
    for (long i = 0; i < m; i++) {
        const uint8_t *row = a + i * k;
        for (long j = 0; j < n; j++) {
            const int8_t *column = b + j * k;
            int32_t sum = 0;
            for (long p = 0; p < k; p++) sum += (int32_t)row[p] * (int32_t)column[p];
            c[i * n + j] = sum;
        }
    }
}

#if defined(__x86_64__)
#include <stdlib.h>

// VNNI path. B is repacked per block of 16 outputs so that one 64-byte vector holds, for each of the
// 16 outputs, 4 consecutive depth bytes; vpdpbusd then multiplies it by 4 bytes of an A row broadcast
// to every lane and adds each group of four products into that output's int32 lane. Each accumulator
// thus holds 16 finished outputs of one row: no horizontal sums. Depth is padded to a multiple of 4
// with zero weights, so the bytes of A read past the row's end (copied, never read out of bounds) add 0.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __m512i broadcast_quad(const uint8_t *row, long p, long k) {
    int32_t quad = 0;
    if (p + 4 <= k) memcpy(&quad, row + p, 4);
    else memcpy(&quad, row + p, (size_t)(k - p));
    return _mm512_set1_epi32(quad);
}

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void int8_product_vnni(long m, long n, long k, const uint8_t *a, const int8_t *b, int32_t *c) {
    long quads = (k + 3) / 4;
    int8_t *packed = aligned_alloc(64, (size_t)quads * 64 + 64);
    for (long block = 0; block < n; block += 16) {
        long width = n - block < 16 ? n - block : 16;
        __mmask16 store_mask = (__mmask16)((1u << width) - 1);
        memset(packed, 0, (size_t)quads * 64);
        for (long j = 0; j < width; j++)
            for (long p = 0; p < k; p++) packed[(p / 4) * 64 + j * 4 + (p % 4)] = b[(block + j) * k + p];
        long i = 0;
        for (; i + 4 <= m; i += 4) {
            const uint8_t *r0 = a + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            long q = 0;
            // Whole quads: plain 4-byte loads of A.
            for (; q < k / 4; q++) {
                __m512i w = _mm512_load_si512((const void *)(packed + q * 64));
                int32_t v0, v1, v2, v3;
                memcpy(&v0, r0 + q * 4, 4); memcpy(&v1, r1 + q * 4, 4);
                memcpy(&v2, r2 + q * 4, 4); memcpy(&v3, r3 + q * 4, 4);
                s0 = _mm512_dpbusd_epi32(s0, _mm512_set1_epi32(v0), w);
                s1 = _mm512_dpbusd_epi32(s1, _mm512_set1_epi32(v1), w);
                s2 = _mm512_dpbusd_epi32(s2, _mm512_set1_epi32(v2), w);
                s3 = _mm512_dpbusd_epi32(s3, _mm512_set1_epi32(v3), w);
            }
            for (; q < quads; q++) {
                __m512i w = _mm512_load_si512((const void *)(packed + q * 64));
                s0 = _mm512_dpbusd_epi32(s0, broadcast_quad(r0, q * 4, k), w);
                s1 = _mm512_dpbusd_epi32(s1, broadcast_quad(r1, q * 4, k), w);
                s2 = _mm512_dpbusd_epi32(s2, broadcast_quad(r2, q * 4, k), w);
                s3 = _mm512_dpbusd_epi32(s3, broadcast_quad(r3, q * 4, k), w);
            }
            _mm512_mask_storeu_epi32(c + (i + 0) * n + block, store_mask, s0);
            _mm512_mask_storeu_epi32(c + (i + 1) * n + block, store_mask, s1);
            _mm512_mask_storeu_epi32(c + (i + 2) * n + block, store_mask, s2);
            _mm512_mask_storeu_epi32(c + (i + 3) * n + block, store_mask, s3);
        }
        for (; i < m; i++) {
            const uint8_t *row = a + i * k;
            __m512i s = _mm512_setzero_si512();
            for (long q = 0; q < quads; q++)
                s = _mm512_dpbusd_epi32(s, broadcast_quad(row, q * 4, k), _mm512_load_si512((const void *)(packed + q * 64)));
            _mm512_mask_storeu_epi32(c + i * n + block, store_mask, s);
        }
    }
    free(packed);
}
#endif

void nabla_int8_matrix_product(long m, long n, long k,
                               const uint8_t *a, const int8_t *b, int32_t *c, bool use_vnni) {
#if defined(__x86_64__)
    if (use_vnni) { int8_product_vnni(m, n, k, a, b, c); return; }
#endif
    (void)use_vnni;
    int8_product_portable(m, n, k, a, b, c);
}
