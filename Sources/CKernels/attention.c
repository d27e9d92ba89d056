#include "ckernels.h"

#include <math.h>

#include "dispatch.h"
#include "vector_math.h"

// Fused softmax attention of one (sample, head): the T x T tile and the
// head's rows stay in L1, and every product is a register-blocked loop of R
// rows by up to 64 columns, instead of oneDNN calls sized for large matrices
// (at T = 49 and hd = 64 a call costs about as much as its arithmetic).
// Sizes: t <= CK_ATTENTION_MAX_TOKENS, hd a multiple of 16 (checked by the
// caller, which falls back to GEMMs otherwise).

#define MAXT CK_ATTENTION_MAX_TOKENS

// R rows of out[i][j] = scale * sum_d a[i][d] * bt[d][j] for j < ncols,
// bt being hd x tp (tp a multiple of 16, columns past ncols zero).
static inline __attribute__((always_inline)) void rows_times_transposed(
    const float *restrict a, long lda, long nr, const float *restrict bt, long hd, const long tp, float scale,
    float *restrict out, long ldo, long ncols, const long R) {
    float acc[4][MAXT];
    for (long r = 0; r < R; r++)
        for (long j = 0; j < tp; j++) acc[r][j] = 0;
    for (long d = 0; d < hd; d++) {
        const float *b = bt + d * tp;
        for (long r = 0; r < R; r++) {
            // Rows past nr repeat the last one (no read out of bounds).
            float x = a[(r < nr ? r : nr - 1) * lda + d];
            for (long j = 0; j < tp; j++) acc[r][j] += x * b[j];
        }
    }
    for (long r = 0; r < nr; r++)
        for (long j = 0; j < ncols; j++) out[r * ldo + j] = acc[r][j] * scale;
}

// R rows of out[i][c0 + c] = sum_j w[i][j] * b[j][c0 + c] for c < width
// (a compile-time 16, 32, 48 or 64).
static inline __attribute__((always_inline)) void rows_times_matrix(
    const float *restrict w, long ldw, long nr, long inner, const float *restrict b, long ldb,
    float *restrict out, long ldo, const long width, const long R) {
    float acc[4][64];
    for (long r = 0; r < R; r++)
        for (long c = 0; c < width; c++) acc[r][c] = 0;
    for (long j = 0; j < inner; j++) {
        const float *bj = b + j * ldb;
        for (long r = 0; r < R; r++) {
            float x = w[(r < nr ? r : nr - 1) * ldw + j];
            for (long c = 0; c < width; c++) acc[r][c] += x * bj[c];
        }
    }
    for (long r = 0; r < nr; r++)
        for (long c = 0; c < width; c++) out[r * ldo + c] = acc[r][c];
}

// out (rows x hd, ldo) = w (rows x inner, ldw) · b (inner x hd, ldb).
static inline __attribute__((always_inline)) void matrix_product(
    const float *w, long ldw, long rows, long inner, const float *b, long ldb, long hd, float *out, long ldo,
    const long R) {
    for (long c0 = 0; c0 < hd; c0 += 64) {
        long width = hd - c0 < 64 ? hd - c0 : 64;
        for (long i = 0; i < rows; i += R) {
            long nr = rows - i < R ? rows - i : R;
            const float *wi = w + i * ldw;
            float *oi = out + i * ldo + c0;
            const float *bc = b + c0;
            switch (width) {
            case 16: rows_times_matrix(wi, ldw, nr, inner, bc, ldb, oi, ldo, 16, R); break;
            case 32: rows_times_matrix(wi, ldw, nr, inner, bc, ldb, oi, ldo, 32, R); break;
            case 48: rows_times_matrix(wi, ldw, nr, inner, bc, ldb, oi, ldo, 48, R); break;
            default: rows_times_matrix(wi, ldw, nr, inner, bc, ldb, oi, ldo, 64, R); break;
            }
        }
    }
}

// out (rows x ncols, ldo) = scale · a (rows x hd, lda) · btᵀ, bt hd x tp.
static inline __attribute__((always_inline)) void product_transposed(
    const float *a, long lda, long rows, const float *bt, long hd, long tp, float scale, float *out, long ldo,
    long ncols, const long R) {
    for (long i = 0; i < rows; i += R) {
        long nr = rows - i < R ? rows - i : R;
        const float *ai = a + i * lda;
        float *oi = out + i * ldo;
        switch (tp) {
        case 16: rows_times_transposed(ai, lda, nr, bt, hd, 16, scale, oi, ldo, ncols, R); break;
        case 32: rows_times_transposed(ai, lda, nr, bt, hd, 32, scale, oi, ldo, ncols, R); break;
        case 48: rows_times_transposed(ai, lda, nr, bt, hd, 48, scale, oi, ldo, ncols, R); break;
        default: rows_times_transposed(ai, lda, nr, bt, hd, 64, scale, oi, ldo, ncols, R); break;
        }
    }
}

// dst (cols x tp) = srcᵀ for src (rows x cols, ld), columns rows..tp zero.
static inline void transpose_padded(const float *restrict src, long ld, long rows, long cols, long tp,
                                    float *restrict dst) {
    for (long c = 0; c < cols; c++) {
        float *d = dst + c * tp;
        for (long r = 0; r < rows; r++) d[r] = src[r * ld + c];
        for (long r = rows; r < tp; r++) d[r] = 0;
    }
}

static inline long padded(long t) { return (t + 15) / 16 * 16; }

CK_KERNEL_BLOCKED(ck_attention_forward,
               (const float *q, const float *k, const float *v, long ld, long t, long hd, float scale,
                float *restrict p, float *restrict out, long ldo, float *restrict scratch),
               (q, k, v, ld, t, hd, scale, p, out, ldo, scratch)) {
    long tp = padded(t);
    transpose_padded(k, ld, t, hd, tp, scratch);  // Kᵀ: hd x tp
    product_transposed(q, ld, t, scratch, hd, tp, scale, p, t, t, R);
    for (long i = 0; i < t; i++) {
        float *row = p + i * t;
        float m = max_of(row, t);
        for (long j = 0; j < t; j++) row[j] = exp_inline(row[j] - m);
        float inv = 1.0f / sum_of(row, t);
        for (long j = 0; j < t; j++) row[j] *= inv;
    }
    matrix_product(p, t, t, t, v, ld, hd, out, ldo, R);
}

CK_KERNEL_BLOCKED(ck_attention_backward,
               (const float *q, const float *k, const float *v, long ld, const float *restrict p,
                const float *restrict dout, long ldo, long t, long hd, float scale, float *restrict dq,
                float *restrict dk, float *restrict dv, float *restrict scratch),
               (q, k, v, ld, p, dout, ldo, t, hd, scale, dq, dk, dv, scratch)) {
    long tp = padded(t);
    float *ds = scratch;               // t x t
    float *tr = scratch + MAXT * MAXT;  // Vᵀ (hd x tp), then Pᵀ and dSᵀ (t x t)
    // dP = dO·Vᵀ
    transpose_padded(v, ld, t, hd, tp, tr);
    product_transposed(dout, ldo, t, tr, hd, tp, 1, ds, t, t, R);
    // dV = Pᵀ·dO
    transpose_padded(p, t, t, t, t, tr);
    matrix_product(tr, t, t, t, dout, ldo, hd, dv, ld, R);
    // dS = P ⊙ (dP − Σ_j dP·P) · scale
    for (long i = 0; i < t; i++) {
        const float *pr = p + i * t;
        float *dr = ds + i * t;
        float dot = dot_of(pr, dr, t);
        for (long j = 0; j < t; j++) dr[j] = pr[j] * (dr[j] - dot) * scale;
    }
    // dQ = dS·K, dK = dSᵀ·Q
    matrix_product(ds, t, t, t, k, ld, hd, dq, ld, R);
    transpose_padded(ds, t, t, t, t, tr);
    matrix_product(tr, t, t, t, q, ld, hd, dk, ld, R);
}
