#include "ckernels.h"

#include <math.h>

#include "dispatch.h"
#include "vector_math.h"

// Fused softmax attention of one (sample, head): every product is a
// register-blocked loop of R rows by up to 64 columns over the head's rows,
// instead of oneDNN calls sized for large matrices (at T = 49 and hd = 64 a
// call costs about as much as its arithmetic; at T = 196 the per-head GEMMs
// of a step are tens of thousands of calls). Sizes: tq <= tk, hd a multiple
// of 16 (checked by the caller, which falls back to GEMMs otherwise). tq < tk
// when only some rows' outputs are needed (the predictor's last block: its
// mask tokens). The softmax matrix is stored whole (the backward reads it),
// so a call's working set grows with tq x tk: L1 at the 7x7 grid, L2 at 14x14.

// R rows of out[i][c] = scale * sum_j w[i][j] * b[j][c], accumulated over
// `width` columns (a compile-time multiple of 16, at most 64) and stored for
// c < keep. R·width/lanes accumulators stay in registers: the caller picks R
// and the widest block per instruction set so that they fit (a block that
// does not fit spills to the stack on every product).
static inline __attribute__((always_inline)) void rows_times_matrix(
    const float *restrict w, long ldw, long nr, long inner, const float *restrict b, long ldb, float scale,
    float *restrict out, long ldo, const long width, long keep, const long R) {
    float acc[6][64];
    for (long r = 0; r < R; r++)
        for (long c = 0; c < width; c++) acc[r][c] = 0;
    for (long j = 0; j < inner; j++) {
        const float *bj = b + j * ldb;
        for (long r = 0; r < R; r++) {
            // Rows past nr repeat the last one (no read out of bounds).
            float x = w[(r < nr ? r : nr - 1) * ldw + j];
            for (long c = 0; c < width; c++) acc[r][c] += x * bj[c];
        }
    }
    for (long r = 0; r < nr; r++)
        for (long c = 0; c < keep; c++) out[r * ldo + c] = acc[r][c] * scale;
}

// out (rows x keep, ldo) = scale · w (rows x inner, ldw) · b (inner x cols,
// ldb), cols a multiple of 16 and keep <= cols; blocks of R rows by up to W
// columns (W a multiple of 16, at most 64).
static inline __attribute__((always_inline)) void matrix_product(
    const float *w, long ldw, long rows, long inner, const float *b, long ldb, long cols, long keep, float scale,
    float *out, long ldo, const long R, const long W) {
    for (long c0 = 0; c0 < cols && c0 < keep; c0 += W) {
        long width = cols - c0 < W ? cols - c0 : W;
        long kept = keep - c0 < width ? keep - c0 : width;
        for (long i = 0; i < rows; i += R) {
            long nr = rows - i < R ? rows - i : R;
            const float *wi = w + i * ldw;
            float *oi = out + i * ldo + c0;
            const float *bc = b + c0;
            // Only the widths up to W are instantiated.
            if (width <= 16 || W == 16)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 16, kept, R);
            else if (width <= 32 || W == 32)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 32, kept, R);
            else if (width <= 48 || W == 48)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 48, kept, R);
            else
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 64, kept, R);
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
               (const float *q, long ldq, const float *k, const float *v, long ld, long tq, long tk, long hd,
                float scale, float *restrict p, float *restrict out, long ldo, float *restrict scratch),
               (q, ldq, k, v, ld, tq, tk, hd, scale, p, out, ldo, scratch)) {
    long tp = padded(tk);
    transpose_padded(k, ld, tk, hd, tp, scratch);  // Kᵀ: hd x tp
    matrix_product(q, ldq, tq, hd, scratch, tp, tp, tk, scale, p, tk, R, W);  // QKᵀ: tq x tk
    for (long i = 0; i < tq; i++) softmax_row(p + i * tk, tk, 1);
    matrix_product(p, tk, tq, tk, v, ld, hd, hd, 1, out, ldo, R, W);
}

// The forward without the softmax matrix (nothing reads it when no backward
// follows: the target encoder, feature extraction): blocks of rows go through
// QKᵀ, softmax and PV in a tile that stays in L1, instead of a tq x tk matrix
// written to memory and read back. Each row's arithmetic is the kernel's
// above, so the outputs are the same bits.
CK_KERNEL_BLOCKED(ck_attention_forward_rows,
               (const float *q, long ldq, const float *k, const float *v, long ld, long tq, long tk, long hd,
                float scale, float *restrict out, long ldo, float *restrict scratch),
               (q, ldq, k, v, ld, tq, tk, hd, scale, out, ldo, scratch)) {
    long tp = padded(tk);
    float *kt = scratch, *tile = scratch + hd * tp;  // Kᵀ (hd x tp), then CK_ATTENTION_ROWS x tk
    transpose_padded(k, ld, tk, hd, tp, kt);
    for (long i = 0; i < tq; i += CK_ATTENTION_ROWS) {
        long nr = tq - i < CK_ATTENTION_ROWS ? tq - i : CK_ATTENTION_ROWS;
        matrix_product(q + i * ldq, ldq, nr, hd, kt, tp, tp, tk, scale, tile, tk, R, W);
        for (long r = 0; r < nr; r++) softmax_row(tile + r * tk, tk, 1);
        matrix_product(tile, tk, nr, tk, v, ld, hd, hd, 1, out + i * ldo, ldo, R, W);
    }
}

CK_KERNEL_BLOCKED(ck_attention_backward,
               (const float *q, long ldq, const float *k, const float *v, long ld, const float *restrict p,
                const float *restrict dout, long ldo, long tq, long tk, long hd, float scale, float *restrict dq,
                float *restrict dk, float *restrict dv, float *restrict scratch),
               (q, ldq, k, v, ld, p, dout, ldo, tq, tk, hd, scale, dq, dk, dv, scratch)) {
    long tp = padded(tk);
    float *ds = scratch;             // tq x tk
    float *tr = scratch + tq * tk;  // Vᵀ (hd x tp), then Pᵀ and dSᵀ (tk x tq)
    // dP = dO·Vᵀ
    transpose_padded(v, ld, tk, hd, tp, tr);
    matrix_product(dout, ldo, tq, hd, tr, tp, tp, tk, 1, ds, tk, R, W);
    // dV = Pᵀ·dO
    transpose_padded(p, tk, tq, tk, tq, tr);
    matrix_product(tr, tq, tk, tq, dout, ldo, hd, hd, 1, dv, ld, R, W);
    // dS = P ⊙ (dP − Σ_j dP·P) · scale
    for (long i = 0; i < tq; i++) softmax_backward_row(p + i * tk, ds + i * tk, tk, scale);
    // dQ = dS·K, dK = dSᵀ·Q
    matrix_product(ds, tk, tq, tk, k, ld, hd, hd, 1, dq, ldq, R, W);
    transpose_padded(ds, tk, tq, tk, tq, tr);
    matrix_product(tr, tq, tk, tq, q, ldq, hd, hd, 1, dk, ld, R, W);
}
