#include "ckernels.h"

#include <string.h>

#include "dispatch.h"

// float32 -> bfloat16 as AVX512_BF16's VCVTNEPS2BF16 does it: round to
// nearest even on the dropped 16 bits, subnormal inputs flushed to a signed
// zero, a NaN kept NaN with its quiet bit set. The native route converts with
// that instruction and the emulation with this function, so both multiply
// the same bf16 numbers. Written without branches so it vectorises.
static inline unsigned short bf16_bits(float x) {
    unsigned int u;
    memcpy(&u, &x, 4);
    unsigned int mag = u & 0x7fffffffu;
    unsigned int flushed = mag < 0x00800000u ? (u & 0x80000000u) : u;
    unsigned int rounded = (flushed + 0x7fffu + ((flushed >> 16) & 1u)) >> 16;
    unsigned int nan = (u >> 16) | 0x40u;
    return (unsigned short)(mag > 0x7f800000u ? nan : rounded);
}

CK_KERNEL(to_bf16_portable,
          (const float *restrict src, long rows, long cols, long ld, unsigned short *restrict dst),
          (src, rows, cols, ld, dst)) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        unsigned short *d = dst + r * cols;
        for (long c = 0; c < cols; c++) d[c] = bf16_bits(s[c]);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

static inline int ck_has_avx512_bf16(void) {
    static int cached = -1;
    if (cached < 0) cached = ck_has_avx512() && __builtin_cpu_supports("avx512bf16");
    return cached;
}

__attribute__((target("avx512bf16,avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) static void to_bf16_native(
    const float *restrict src, long rows, long cols, long ld, unsigned short *restrict dst) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        unsigned short *d = dst + r * cols;
        long c = 0;
        for (; c + 16 <= cols; c += 16)
            _mm256_storeu_si256((__m256i *)(d + c), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(s + c)));
        for (; c < cols; c++) d[c] = bf16_bits(s[c]);
    }
}
#endif

void ck_to_bf16(const float *src, long rows, long cols, long ld, unsigned short *dst) {
#if defined(__x86_64__)
    if (ck_has_avx512_bf16()) {
        to_bf16_native(src, rows, cols, ld, dst);
        return;
    }
#endif
    to_bf16_portable(src, rows, cols, ld, dst);
}

CK_KERNEL(ck_round_bf16,
          (const float *restrict src, long rows, long cols, long ld, float *restrict dst),
          (src, rows, cols, ld, dst)) {
    for (long r = 0; r < rows; r++) {
        const float *s = src + r * ld;
        float *d = dst + r * cols;
        for (long c = 0; c < cols; c++) {
            unsigned int u = (unsigned int)bf16_bits(s[c]) << 16;
            memcpy(d + c, &u, 4);
        }
    }
}
