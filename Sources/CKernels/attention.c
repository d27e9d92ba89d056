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

// 16 floats: one AVX-512 register, two AVX2 ones, four SSE ones in the
// baseline clone. aligned(4): loads and stores at any float address.
typedef float v16 __attribute__((vector_size(64), aligned(4)));

// R rows of out[i][c] = scale * sum_j w(i, j) * b[j][c], accumulated over
// `width` columns (a compile-time multiple of 16, at most 64) and stored for
// c < keep. w(i, j) is w[i * ldw + j], or with `transposed` w[j * ldw + i]
// (a product with Pᵀ or dSᵀ reads P or dS in place instead of a transposed
// copy). Each output is one sequential chain of multiply-adds over j, then
// one multiply by scale, in any blocking: the same bits for any R and W.
// The R·width/16 accumulators are vector values so that they stay in
// registers from the first product to the store (an array of floats went
// through the stack at both ends); the caller picks R (at most 6) and the
// widest block per instruction set so that they fit.
static inline __attribute__((always_inline)) void rows_times_matrix(
    const float *restrict w, long ldw, long nr, long inner, const float *restrict b, long ldb, float scale,
    float *restrict out, long ldo, const long width, long keep, const long R, const int transposed) {
    const long V = width / 16;
    v16 acc[6][4];
#pragma clang loop unroll(full)
    for (long r = 0; r < R; r++)
#pragma clang loop unroll(full)
        for (long v = 0; v < V; v++) acc[r][v] = (v16){0};
    // Rows past nr repeat the last one (no read out of bounds).
    const float *row[6];
#pragma clang loop unroll(full)
    for (long r = 0; r < R; r++) row[r] = w + (r < nr ? r : nr - 1) * (transposed ? 1 : ldw);
    for (long j = 0; j < inner; j++) {
        const float *bj = b + j * ldb;
        v16 bv[4];
#pragma clang loop unroll(full)
        for (long v = 0; v < V; v++) bv[v] = *(const v16 *)(bj + 16 * v);
#pragma clang loop unroll(full)
        for (long r = 0; r < R; r++) {
            float x = row[r][transposed ? j * ldw : j];
#pragma clang loop unroll(full)
            for (long v = 0; v < V; v++) acc[r][v] += x * bv[v];
        }
    }
    for (long r = 0; r < nr; r++) {
        float *o = out + r * ldo;
#pragma clang loop unroll(full)
        for (long v = 0; v < V; v++) {
            v16 y = acc[r][v] * scale;
            long c0 = 16 * v;
            if (c0 + 16 <= keep) {
                *(v16 *)(o + c0) = y;
            } else {
                for (long c = c0; c < keep; c++) o[c] = y[c - c0];
            }
        }
    }
}

// out (rows x keep, ldo) = scale · w (rows x inner, ldw; or with
// `transposed`, its transpose stored inner x rows) · b (inner x cols, ldb),
// cols a multiple of 16 and keep <= cols; blocks of R rows by up to W columns
// (W a multiple of 16, at most 64).
static inline __attribute__((always_inline)) void matrix_product(
    const float *w, long ldw, long rows, long inner, const float *b, long ldb, long cols, long keep, float scale,
    float *out, long ldo, const long R, const long W, const int transposed) {
    for (long c0 = 0; c0 < cols && c0 < keep; c0 += W) {
        long width = cols - c0 < W ? cols - c0 : W;
        long kept = keep - c0 < width ? keep - c0 : width;
        for (long i = 0; i < rows; i += R) {
            long nr = rows - i < R ? rows - i : R;
            const float *wi = w + i * (transposed ? 1 : ldw);
            float *oi = out + i * ldo + c0;
            const float *bc = b + c0;
            // Only the widths up to W are instantiated.
            if (width <= 16 || W == 16)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 16, kept, R, transposed);
            else if (width <= 32 || W == 32)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 32, kept, R, transposed);
            else if (width <= 48 || W == 48)
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 48, kept, R, transposed);
            else
                rows_times_matrix(wi, ldw, nr, inner, bc, ldb, scale, oi, ldo, 64, kept, R, transposed);
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
    matrix_product(q, ldq, tq, hd, scratch, tp, tp, tk, scale, p, tk, R, W, 0);  // QKᵀ: tq x tk
    for (long i = 0; i < tq; i++) softmax_row(p + i * tk, tk, 1);
    matrix_product(p, tk, tq, tk, v, ld, hd, hd, 1, out, ldo, R, W, 0);
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
        matrix_product(q + i * ldq, ldq, nr, hd, kt, tp, tp, tk, scale, tile, tk, R, W, 0);
        for (long r = 0; r < nr; r++) softmax_row(tile + r * tk, tk, 1);
        matrix_product(tile, tk, nr, tk, v, ld, hd, hd, 1, out + i * ldo, ldo, R, W, 0);
    }
}

CK_KERNEL_BLOCKED(ck_attention_backward,
               (const float *q, long ldq, const float *k, const float *v, long ld, const float *restrict p,
                const float *restrict dout, long ldo, long tq, long tk, long hd, float scale, float *restrict dq,
                float *restrict dk, float *restrict dv, float *restrict scratch),
               (q, ldq, k, v, ld, p, dout, ldo, tq, tk, hd, scale, dq, dk, dv, scratch)) {
    long tp = padded(tk);
    float *ds = scratch;             // tq x tk
    float *tr = scratch + tq * tk;  // Vᵀ (hd x tp)
    // dP = dO·Vᵀ
    transpose_padded(v, ld, tk, hd, tp, tr);
    matrix_product(dout, ldo, tq, hd, tr, tp, tp, tk, 1, ds, tk, R, W, 0);
    // dV = Pᵀ·dO
    matrix_product(p, tk, tk, tq, dout, ldo, hd, hd, 1, dv, ld, R, W, 1);
    // dS = P ⊙ (dP − Σ_j dP·P) · scale
    for (long i = 0; i < tq; i++) softmax_backward_row(p + i * tk, ds + i * tk, tk, scale);
    // dQ = dS·K, dK = dSᵀ·Q
    matrix_product(ds, tk, tq, tk, k, ld, hd, hd, 1, dq, ldq, R, W, 0);
    matrix_product(ds, tk, tk, tq, q, ldq, hd, hd, 1, dk, ld, R, W, 1);
}
