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
// VNNI path: vpdpbusd multiplies 64 unsigned×signed byte pairs and adds groups of four into 16 int32
// lanes. Four rows of A share each loaded block of B; the tail of k is masked so no byte past a row is read.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void int8_product_vnni(long m, long n, long k, const uint8_t *a, const int8_t *b, int32_t *c) {
    long full = k / 64 * 64;
    __mmask64 tail_mask = (k - full) == 0 ? 0 : (~0ULL >> (64 - (k - full)));
    long i = 0;
    for (; i + 4 <= m; i += 4) {
        const uint8_t *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
        for (long j = 0; j < n; j++) {
            const int8_t *column = b + j * k;
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            for (long p = 0; p < full; p += 64) {
                __m512i w = _mm512_loadu_si512((const void *)(column + p));
                s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512((const void *)(a0 + p)), w);
                s1 = _mm512_dpbusd_epi32(s1, _mm512_loadu_si512((const void *)(a1 + p)), w);
                s2 = _mm512_dpbusd_epi32(s2, _mm512_loadu_si512((const void *)(a2 + p)), w);
                s3 = _mm512_dpbusd_epi32(s3, _mm512_loadu_si512((const void *)(a3 + p)), w);
            }
            if (tail_mask) {
                __m512i w = _mm512_maskz_loadu_epi8(tail_mask, column + full);
                s0 = _mm512_dpbusd_epi32(s0, _mm512_maskz_loadu_epi8(tail_mask, a0 + full), w);
                s1 = _mm512_dpbusd_epi32(s1, _mm512_maskz_loadu_epi8(tail_mask, a1 + full), w);
                s2 = _mm512_dpbusd_epi32(s2, _mm512_maskz_loadu_epi8(tail_mask, a2 + full), w);
                s3 = _mm512_dpbusd_epi32(s3, _mm512_maskz_loadu_epi8(tail_mask, a3 + full), w);
            }
            c[(i + 0) * n + j] = _mm512_reduce_add_epi32(s0);
            c[(i + 1) * n + j] = _mm512_reduce_add_epi32(s1);
            c[(i + 2) * n + j] = _mm512_reduce_add_epi32(s2);
            c[(i + 3) * n + j] = _mm512_reduce_add_epi32(s3);
        }
    }
    for (; i < m; i++) {
        const uint8_t *row = a + i * k;
        for (long j = 0; j < n; j++) {
            const int8_t *column = b + j * k;
            __m512i s = _mm512_setzero_si512();
            for (long p = 0; p < full; p += 64)
                s = _mm512_dpbusd_epi32(s, _mm512_loadu_si512((const void *)(row + p)),
                                        _mm512_loadu_si512((const void *)(column + p)));
            if (tail_mask)
                s = _mm512_dpbusd_epi32(s, _mm512_maskz_loadu_epi8(tail_mask, row + full),
                                        _mm512_maskz_loadu_epi8(tail_mask, column + full));
            c[i * n + j] = _mm512_reduce_add_epi32(s);
        }
    }
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
