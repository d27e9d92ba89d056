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

// Elementwise kernels: AVX2+FMA or the baseline.
#define CK_KERNEL(name, params, args)                                                  \
    static inline __attribute__((always_inline)) void name##_body params;               \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body args; } \
    static void name##_base params { name##_body args; }                                \
    void name params {                                                                   \
        if (ck_has_avx2_fma()) name##_avx2 args; else name##_base args;                    \
    }                                                                                    \
    static inline __attribute__((always_inline)) void name##_body params

// Register-blocked kernels: the body gets one more parameter, `R`, the rows
// one block of accumulators holds (4 in AVX-512's 32 registers, 2 in AVX2's
// 16, 1 for the baseline).
#define CK_UNPAREN(...) __VA_ARGS__
#define CK_KERNEL_BLOCKED(name, params, args)                                                       \
    static inline __attribute__((always_inline)) void name##_body(CK_UNPAREN params, const long R);  \
    __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))                           \
    static void name##_avx512 params { name##_body(CK_UNPAREN args, 4); }                           \
    __attribute__((target("avx2,fma"))) static void name##_avx2 params { name##_body(CK_UNPAREN args, 2); } \
    static void name##_base params { name##_body(CK_UNPAREN args, 1); }                             \
    void name params {                                                                               \
        if (ck_has_avx512()) name##_avx512 args;                                                    \
        else if (ck_has_avx2_fma()) name##_avx2 args;                                               \
        else name##_base args;                                                                       \
    }                                                                                                \
    static inline __attribute__((always_inline)) void name##_body(CK_UNPAREN params, const long R)
#else
#define CK_KERNEL(name, params, args) void name params
#define CK_UNPAREN(...) __VA_ARGS__
#define CK_KERNEL_BLOCKED(name, params, args)                                           \
    static inline void name##_body(CK_UNPAREN params, const long R);                   \
    void name params { name##_body(CK_UNPAREN args, 1); }                               \
    static inline void name##_body(CK_UNPAREN params, const long R)
#endif

#endif
