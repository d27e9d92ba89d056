#ifndef CK_VECTOR_MATH_H
#define CK_VECTOR_MATH_H

#include <math.h>
#include <string.h>

// Every helper here is forced inline: a kernel's instruction-set clones
// (dispatch.h) compile it with their own target, whereas an out-of-line copy
// would be baseline code (no FMA: other bits, and slower).

// e^x, branch-free so loops of it vectorise: Cephes' reduction to
// [-ln2/2, ln2/2] with its degree-5 polynomial (about 2 ulp), 2^n built in the
// exponent bits. Inputs are clamped to [-87.3, 88.3].
static inline __attribute__((always_inline)) float exp_inline(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick.
    const float magic = 12582912.0f;
    float t = x * 1.44269504088896341f + magic;
    float n = t - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * (r * r) + r + 1.0f;
    int bits;
    memcpy(&bits, &t, 4);
    bits = (bits - 0x4B400000 + 127) << 23;  // n + 127 in the exponent field
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

// Row reductions in any order the vectoriser likes (deterministic for a
// given build; the order differs from a sequential sum by float rounding).
static inline __attribute__((always_inline)) float sum_of(const float *x, long n) {
#pragma clang fp reassociate(on)
    float s = 0;
    for (long j = 0; j < n; j++) s += x[j];
    return s;
}

static inline __attribute__((always_inline)) float dot_of(const float *x, const float *y, long n) {
#pragma clang fp reassociate(on)
    float s = 0;
    for (long j = 0; j < n; j++) s += x[j] * y[j];
    return s;
}

static inline __attribute__((always_inline)) float squared_deviation_of(const float *x, float m, long n) {
#pragma clang fp reassociate(on)
    float s = 0;
    for (long j = 0; j < n; j++) s += (x[j] - m) * (x[j] - m);
    return s;
}

// The largest of n floats (NaNs skipped). In 16 lanes, so it vectorises: a
// single running maximum is a chain the compiler must keep in order (float
// compares), and it was most of a softmax row's time (one Zen 4 core, AVX2
// code: 196 columns 1.0 -> 0.56 ns per element, 83 columns 1.07 -> 0.72).
// A maximum does not depend on the order it is taken in: the same bits.
static inline __attribute__((always_inline)) float max_of(const float *x, long n) {
    float lanes[16];
    for (int i = 0; i < 16; i++) lanes[i] = -INFINITY;
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int i = 0; i < 16; i++) lanes[i] = x[j + i] > lanes[i] ? x[j + i] : lanes[i];
    float m = -INFINITY;
    for (int i = 0; i < 16; i++) m = lanes[i] > m ? lanes[i] : m;
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

// One row of n floats, times scale, turned into its softmax in place.
static inline __attribute__((always_inline)) void softmax_row(float *row, long n, float scale) {
    float m = max_of(row, n);
    for (long j = 0; j < n; j++) row[j] = exp_inline((row[j] - m) * scale);
    float inv = 1.0f / sum_of(row, n);
    for (long j = 0; j < n; j++) row[j] *= inv;
}

// Softmax backward of one row p: d = p * (d - Σ p·d) * scale, in place of d.
static inline __attribute__((always_inline)) void softmax_backward_row(const float *p, float *d, long n, float scale) {
    float dot = dot_of(p, d, n);
    for (long j = 0; j < n; j++) d[j] = p[j] * (d[j] - dot) * scale;
}

#endif
