#ifndef CK_DISPATCH_H
#define CK_DISPATCH_H

// Each kernel's body is compiled for several instruction sets and picked per
// call by a cached CPU check (target_clones' "arch=" clones test for the
// Intel model, so AMD's Zen got the baseline).
#if defined(__x86_64__)
static inline int ck_has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return cached;
}

static inline int ck_has_avx512(void) {
    static int cached = -1;
    if (cached < 0)
        cached = ck_has_avx2_fma() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
    return cached;
}

// Kernels that sum, and elementwise ones too cheap for a third clone: AVX2+FMA
// or the baseline.
#define CK_KERNEL(name, params, args)                                                  \
    static inline __attribute__((always_inline)) void name##_body params;               \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; } \
    static void name##_base params { name##_body args; }                                \
    void name params {                                                                   \
        if (ck_has_avx2_fma()) name##_avx2 args; else name##_base args;                    \
    }                                                                                    \
    static inline __attribute__((always_inline)) void name##_body params

// Elementwise kernels (no reduction, so no order to change): also an AVX-512
// clone, whose results are the same bits as AVX2's (the same operations per
// element, FMA in both) in fewer instructions: GELU 1.3 -> 0.7 ns per element
// on one Zen 4 core. Kernels that sum keep CK_KERNEL, so their bits do not
// depend on the CPU's vector width.
#define CK_KERNEL_ELEMENTWISE(name, params, args)                                                \
    static inline __attribute__((always_inline)) void name##_body params;                         \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) static void name##_avx512 params { \
        name##_body args;                                                                          \
    }                                                                                              \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; }       \
    static void name##_base params { name##_body args; }                                          \
    void name params {                                                                             \
        if (ck_has_avx512()) name##_avx512 args;                                                  \
        else if (ck_has_avx2_fma()) name##_avx2 args;                                             \
        else name##_base args;                                                                     \
    }                                                                                              \
    static inline __attribute__((always_inline)) void name##_body params

// Register-blocked kernels: the body gets two more parameters, a block of R
// rows by up to W columns of accumulators, sized to the registers: 4 x 64 in
// AVX-512's 32 (16 zmm), 6 x 16 in AVX2's 16 (12 ymm), 1 x 16 for the
// baseline. On one Zen 2 core at T = 49, hd = 64, AVX2's earlier 2 x 64 block
// (16 ymm, so it spilled) ran the forward at 28 GFLOP/s and the backward at
// 34; 6 x 16 runs them at 48 and 63 (3 x 32: 28 and 29; 2 x 32: 40 and 50).
// The macros let a benchmark try other blocks.
#ifndef CK_AVX2_ROWS
#define CK_AVX2_ROWS 6
#endif
#ifndef CK_AVX2_WIDTH
#define CK_AVX2_WIDTH 16
#endif
#define CK_UNPAREN(...) __VA_ARGS__
#define CK_KERNEL_BLOCKED(name, params, args)                                                       \
    static inline __attribute__((always_inline)) void name##_body(CK_UNPAREN params, const long R,   \
                                                                  const long W);                      \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))                           \
    static void name##_avx512 params { name##_body(CK_UNPAREN args, 4, 64); }                       \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params {                             \
        name##_body(CK_UNPAREN args, CK_AVX2_ROWS, CK_AVX2_WIDTH);                                   \
    }                                                                                                \
    static void name##_base params { name##_body(CK_UNPAREN args, 1, 16); }                         \
    void name params {                                                                               \
        if (ck_has_avx512()) name##_avx512 args;                                                    \
        else if (ck_has_avx2_fma()) name##_avx2 args;                                               \
        else name##_base args;                                                                       \
    }                                                                                                \
    static inline __attribute__((always_inline)) void name##_body(CK_UNPAREN params, const long R, const long W)
#else
#define CK_KERNEL(name, params, args) void name params
#define CK_KERNEL_ELEMENTWISE(name, params, args) void name params
#define CK_UNPAREN(...) __VA_ARGS__
#define CK_KERNEL_BLOCKED(name, params, args)                                           \
    static inline void name##_body(CK_UNPAREN params, const long R, const long W);     \
    void name params { name##_body(CK_UNPAREN args, 1, 16); }                           \
    static inline void name##_body(CK_UNPAREN params, const long R, const long W)
#endif

#endif
