// A single-threaded SGEMM for AVX-512, in the layered form of BLIS and GotoBLAS: blocks of B (kc × nc)
// and of A (mc × kc) are packed into panels laid out in the order the micro-kernel reads them, and a
// 12 × 32 micro-kernel keeps its whole tile of C in 24 vector registers while it walks the shared
// dimension.
//
// Why not BLAS alone: the training machine's OpenBLAS is pinned to its AVX2 kernels, which reach half
// of what this processor's 512-bit units do. Nabla calls this kernel where the processor has AVX-512
// and BLAS everywhere else; each call runs on the calling thread, so several cores can each multiply
// their own small products (one per sample of a convolution) without any thread hand-off.

#include "NablaKernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

#include <immintrin.h>

enum {
    ROWS_PER_TILE = 12,      // MR: rows of C per micro-tile
    COLUMNS_PER_TILE = 32,   // NR: columns of C per micro-tile, two 16-float vectors
    DEPTH_BLOCK = 256,       // KC: a packed B panel (KC × NR floats, 32 KiB) stays in the L1 cache
    ROW_BLOCK = 144,         // MC: a packed A block (MC × KC floats, 144 KiB) stays in the L2 cache
    COLUMN_BLOCK = 1024,     // NC: a packed B block (KC × NC floats, 1 MiB) stays in the L2/L3 cache
};

bool nabla_sgemm_available(void) {
    static int available = -1;
    if (available < 0) {
        __builtin_cpu_init();
        available = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return available == 1;
}

// Packing buffers, one pair per thread, freed when the thread ends.
typedef struct { float *a; float *b; } PackingBuffers;

static pthread_key_t buffers_key;
static pthread_once_t buffers_once = PTHREAD_ONCE_INIT;

static void free_buffers(void *pointer) {
    PackingBuffers *buffers = pointer;
    free(buffers->a);
    free(buffers->b);
    free(buffers);
}

static void make_buffers_key(void) { pthread_key_create(&buffers_key, free_buffers); }

static PackingBuffers *thread_buffers(void) {
    pthread_once(&buffers_once, make_buffers_key);
    PackingBuffers *buffers = pthread_getspecific(buffers_key);
    if (buffers == NULL) {
        buffers = malloc(sizeof(PackingBuffers));
        buffers->a = aligned_alloc(64, sizeof(float) * ROW_BLOCK * DEPTH_BLOCK);
        buffers->b = aligned_alloc(64, sizeof(float) * DEPTH_BLOCK * COLUMN_BLOCK);
        pthread_setspecific(buffers_key, buffers);
    }
    return buffers;
}

// Eight rows of eight floats, `source` rows `stride` apart, written transposed: column j of the block
// becomes the eight floats at `destination + j · width`.
__attribute__((target("avx512f")))
static inline void transpose_8x8(const float *source, long stride, float *destination, long width) {
    __m256 r0 = _mm256_loadu_ps(source), r1 = _mm256_loadu_ps(source + stride);
    __m256 r2 = _mm256_loadu_ps(source + 2 * stride), r3 = _mm256_loadu_ps(source + 3 * stride);
    __m256 r4 = _mm256_loadu_ps(source + 4 * stride), r5 = _mm256_loadu_ps(source + 5 * stride);
    __m256 r6 = _mm256_loadu_ps(source + 6 * stride), r7 = _mm256_loadu_ps(source + 7 * stride);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(destination, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(destination + width, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(destination + 2 * width, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(destination + 3 * width, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(destination + 4 * width, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(destination + 5 * width, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(destination + 6 * width, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(destination + 7 * width, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// A panel whose lines run along the depth in memory: destination[p · width + i] = source[i · stride + p]
// for the first `count` of `width` lines and `depths` depth indices; lines past `count` read as zero.
// Whole 8 × 8 blocks go through registers; the lines and depths left over are copied one line at a
// time, reading each line in order.
__attribute__((target("avx512f")))
static void pack_across(const float *source, long stride, long count, long depths, float *destination, long width) {
    if (count < width) memset(destination, 0, sizeof(float) * depths * width);
    long fullLines = count / 8 * 8, fullDepths = depths / 8 * 8;
    for (long i = 0; i < fullLines; i += 8)
        for (long p = 0; p < fullDepths; p += 8)
            transpose_8x8(source + i * stride + p, stride, destination + p * width + i, width);
    for (long i = 0; i < count; i++) {
        const float *line = source + i * stride;
        for (long p = i < fullLines ? fullDepths : 0; p < depths; p++) destination[p * width + i] = line[p];
    }
}

// A panel whose lines lie side by side in memory: destination[p · width + i] = source[p · stride + i]
// for the first `count` of `width` columns; columns past `count` read as zero. Each store covers at most
// the line's own `width` floats (a 12-wide A line takes one masked store), so the last line of a full
// block ends exactly at the end of the packing buffer.
__attribute__((target("avx512f")))
static void pack_along(const float *source, long stride, long count, long depths, float *destination, long width) {
    for (long p = 0; p < depths; p++) {
        const float *from = source + p * stride;
        float *line = destination + p * width;
        long i = 0;
        for (; i + 16 <= count && i + 16 <= width; i += 16) _mm512_storeu_ps(line + i, _mm512_loadu_ps(from + i));
        for (; i < width; i += 16) {
            long lanes = width - i < 16 ? width - i : 16;
            long loaded = count - i < 0 ? 0 : count - i < lanes ? count - i : lanes;
            __mmask16 storeMask = (__mmask16)((1u << lanes) - 1);
            __mmask16 loadMask = (__mmask16)((1u << loaded) - 1);
            _mm512_mask_storeu_ps(line + i, storeMask, _mm512_maskz_loadu_ps(loadMask, from + i));
        }
    }
}

// A's rows [row, row + rows) and depth [depth, depth + depths) packed as panels of ROWS_PER_TILE rows:
// panel by panel, for each depth index the panel's rows side by side; rows past the end read as zero.
static void pack_a(bool transposed, const float *a, long lda, long row, long rows, long depth, long depths,
                   float *packed) {
    for (long panel = 0; panel < rows; panel += ROWS_PER_TILE) {
        long count = rows - panel < ROWS_PER_TILE ? rows - panel : ROWS_PER_TILE;
        if (transposed) pack_along(a + depth * lda + row + panel, lda, count, depths, packed, ROWS_PER_TILE);
        else pack_across(a + (row + panel) * lda + depth, lda, count, depths, packed, ROWS_PER_TILE);
        packed += depths * ROWS_PER_TILE;
    }
}

// B's depth [depth, depth + depths) and columns [column, column + columns) packed as panels of
// COLUMNS_PER_TILE columns: for each depth index the panel's columns side by side, zero past the end.
static void pack_b(bool transposed, const float *b, long ldb, long depth, long depths, long column, long columns,
                   float *packed) {
    for (long panel = 0; panel < columns; panel += COLUMNS_PER_TILE) {
        long count = columns - panel < COLUMNS_PER_TILE ? columns - panel : COLUMNS_PER_TILE;
        if (transposed) pack_across(b + (column + panel) * ldb + depth, ldb, count, depths, packed, COLUMNS_PER_TILE);
        else pack_along(b + depth * ldb + column + panel, ldb, count, depths, packed, COLUMNS_PER_TILE);
        packed += depths * COLUMNS_PER_TILE;
    }
}

// One tile of C from a packed A panel and a packed B panel: the first `kernel_rows` rows and
// 16 · `vectors` columns are computed (both compile-time constants after inlining, so the sums stay in
// registers), and of those the first `rows` × `columns` are written.
__attribute__((target("avx512f"), always_inline))
static inline void tile_kernel(const int kernel_rows, const int vectors, long depths, const float *a, const float *b,
                               float *c, long ldc, bool accumulate, long rows, long columns) {
    __m512 sum[ROWS_PER_TILE][2];
    for (int i = 0; i < kernel_rows; i++) { sum[i][0] = _mm512_setzero_ps(); sum[i][1] = _mm512_setzero_ps(); }
    for (long p = 0; p < depths; p++) {
        __m512 left = _mm512_load_ps(b), right = vectors > 1 ? _mm512_load_ps(b + 16) : left;
        for (int i = 0; i < kernel_rows; i++) {
            __m512 value = _mm512_set1_ps(a[i]);
            sum[i][0] = _mm512_fmadd_ps(value, left, sum[i][0]);
            if (vectors > 1) sum[i][1] = _mm512_fmadd_ps(value, right, sum[i][1]);
        }
        a += ROWS_PER_TILE;
        b += COLUMNS_PER_TILE;
    }
    __mmask16 leftMask = columns >= 16 ? 0xFFFF : (__mmask16)((1u << columns) - 1);
    __mmask16 rightMask = columns >= 32 ? 0xFFFF : columns <= 16 ? 0 : (__mmask16)((1u << (columns - 16)) - 1);
    for (int i = 0; i < kernel_rows; i++) {
        if (i >= rows) break;
        float *line = c + i * ldc;
        __m512 left = sum[i][0];
        if (accumulate) left = _mm512_add_ps(left, _mm512_maskz_loadu_ps(leftMask, line));
        _mm512_mask_storeu_ps(line, leftMask, left);
        if (vectors > 1) {
            __m512 right = sum[i][1];
            if (accumulate) right = _mm512_add_ps(right, _mm512_maskz_loadu_ps(rightMask, line + 16));
            _mm512_mask_storeu_ps(line + 16, rightMask, right);
        }
    }
}

// A tile with `rows` ≤ ROWS_PER_TILE and `columns` ≤ COLUMNS_PER_TILE, by the smallest kernel that
// covers it, so that edge tiles (64 rows are 5 × 12 + 4) do not pay for a full tile.
__attribute__((target("avx512f")))
static void micro_kernel(long depths, const float *a, const float *b, float *c, long ldc,
                         bool accumulate, long rows, long columns) {
    bool wide = columns > 16;
    if (rows > 8) {
        if (wide) tile_kernel(12, 2, depths, a, b, c, ldc, accumulate, rows, columns);
        else tile_kernel(12, 1, depths, a, b, c, ldc, accumulate, rows, columns);
    } else if (rows > 4) {
        if (wide) tile_kernel(8, 2, depths, a, b, c, ldc, accumulate, rows, columns);
        else tile_kernel(8, 1, depths, a, b, c, ldc, accumulate, rows, columns);
    } else {
        if (wide) tile_kernel(4, 2, depths, a, b, c, ldc, accumulate, rows, columns);
        else tile_kernel(4, 1, depths, a, b, c, ldc, accumulate, rows, columns);
    }
}

void nabla_sgemm(bool transpose_a, bool transpose_b, long m, long n, long k,
                 const float *a, long lda, const float *b, long ldb,
                 float *c, long ldc, bool accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate) for (long i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * n);
        return;
    }
    PackingBuffers *buffers = thread_buffers();
    // Equal depth blocks (288 as 2 × 144, not 256 + 32) keep every pass of the micro-kernel long.
    long depthBlocks = (k + DEPTH_BLOCK - 1) / DEPTH_BLOCK;
    long depthStep = (k + depthBlocks - 1) / depthBlocks;
    for (long column = 0; column < n; column += COLUMN_BLOCK) {
        long columns = n - column < COLUMN_BLOCK ? n - column : COLUMN_BLOCK;
        for (long depth = 0; depth < k; depth += depthStep) {
            long depths = k - depth < depthStep ? k - depth : depthStep;
            bool add = accumulate || depth > 0;
            pack_b(transpose_b, b, ldb, depth, depths, column, columns, buffers->b);
            for (long row = 0; row < m; row += ROW_BLOCK) {
                long rows = m - row < ROW_BLOCK ? m - row : ROW_BLOCK;
                pack_a(transpose_a, a, lda, row, rows, depth, depths, buffers->a);
                for (long tileColumn = 0; tileColumn < columns; tileColumn += COLUMNS_PER_TILE) {
                    const float *panelB = buffers->b + tileColumn * depths;
                    long tileColumns = columns - tileColumn < COLUMNS_PER_TILE ? columns - tileColumn : COLUMNS_PER_TILE;
                    for (long tileRow = 0; tileRow < rows; tileRow += ROWS_PER_TILE) {
                        long tileRows = rows - tileRow < ROWS_PER_TILE ? rows - tileRow : ROWS_PER_TILE;
                        micro_kernel(depths, buffers->a + tileRow * depths, panelB,
                                     c + (row + tileRow) * ldc + column + tileColumn, ldc, add, tileRows, tileColumns);
                    }
                }
            }
        }
    }
}

void nabla_pack_a(bool transpose_a, const float *a, long lda, long rows, long depths, float *packed) {
    pack_a(transpose_a, a, lda, 0, rows, 0, depths, packed);
}

#else  // Not x86-64: no AVX-512, and callers use BLAS.

bool nabla_sgemm_available(void) { return false; }

void nabla_sgemm(bool transpose_a, bool transpose_b, long m, long n, long k, const float *a, long lda,
                 const float *b, long ldb, float *c, long ldc, bool accumulate) {
    (void)transpose_a; (void)transpose_b; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb;
    (void)c; (void)ldc; (void)accumulate;
    abort();  // unreachable: nabla_sgemm_available() is false here
}

void nabla_pack_a(bool transpose_a, const float *a, long lda, long rows, long depths, float *packed) {
    (void)transpose_a; (void)a; (void)lda; (void)rows; (void)depths; (void)packed;
    abort();  // unreachable, as above
}

#endif
