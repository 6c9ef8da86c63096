// OpenBLAS picks its kernels for the processor when it loads. Debian's OpenBLAS (0.3.21) predates
// some processors that have AVX-512 (Intel's Emerald Rapids among them) and falls back to its
// generic "Prescott" kernels there, which run products, ssyrk and LAPACK several times slower
// (PCA of Fashion-MNIST: about 1.0 s against 0.3 s). When that fallback happened and nobody chose a
// core (OPENBLAS_CORETYPE unset: a workplace may pin it on purpose, and that choice is kept), this
// asks OpenBLAS again for the kernels the processor's instructions allow: SkylakeX with AVX-512,
// Haswell with AVX2 and FMA. It runs once, when the program loads, after OpenBLAS has set itself up
// and before any product: OpenBLAS's own start-up does the same, reading OPENBLAS_CORETYPE in
// gotoblas_dynamic_init, so the variable is set only for that call and removed again, so that child
// processes (Python with its own OpenBLAS) see the environment they were given.
#include <stdlib.h>
#include <string.h>

extern void *gotoblas;
extern char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void);
extern void gotoblas_dynamic_quit(void);

/// The core OpenBLAS should use instead of its generic fallback, or NULL to keep what it chose.
static const char *nabla_better_openblas_core(void) {
#if defined(__x86_64__)
    if (getenv("OPENBLAS_CORETYPE") != NULL || gotoblas == NULL) return NULL;
    const char *core = openblas_get_corename();
    if (core == NULL || strcmp(core, "Prescott") != 0) return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

__attribute__((constructor)) static void nabla_match_openblas_core(void) {
    const char *better = nabla_better_openblas_core();
    if (better == NULL) return;
    setenv("OPENBLAS_CORETYPE", better, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
}
