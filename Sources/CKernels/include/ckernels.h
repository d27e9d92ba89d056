#ifndef CKERNELS_H
#define CKERNELS_H

// Elementwise and per-row kernels of the ViT layers, in C so they vectorise
// (Swift's SIMD types lower rounding, min/max and conversions to scalar
// calls). Each works on the range it is given, single-threaded; Swift's
// Parallel splits the rows over the cores. Each is compiled for AVX2+FMA
// (the attention kernels also for AVX-512) and a portable baseline, and picks
// one per call from a cached CPU check (dispatch.h).

// pre[r, c] += bias[c]; out[r, c] = GELU(pre[r, c]) with the exact erf.
void ck_bias_gelu(float *pre, float *out, const float *bias, long rows, long cols);
// The same, with pre replaced by GELU'(pre + bias) (all a backward needs).
void ck_bias_gelu_keep_slope(float *pre, float *out, const float *bias, long rows, long cols);
// dx = dy * slope over n floats (slope as ck_bias_gelu_keep_slope left it).
void ck_gelu_backward_slope(const float *dy, const float *slope, float *dx, long n);
// y = GELU(x) over n floats.
void ck_gelu(const float *x, float *y, long n);
// dx = dy * GELU'(x) over n floats.
void ck_gelu_backward(const float *dy, const float *x, float *dx, long n);
// y[r, c] += bias[c] (when bias is given) + res[r, c] (when res is given).
void ck_add_bias_residual(float *y, const float *bias, const float *res, long rows, long cols);
// out[c] += sum over r of dy[r, c].
void ck_column_sums_add(const float *dy, float *out, long rows, long cols);
// y += x over n floats.
void ck_add(const float *x, float *y, long n);
// Each of `rows` rows of n floats (ld apart), times scale, turned into its softmax.
void ck_softmax_rows(float *p, long rows, long n, long ld, float scale);
// Softmax backward of one T x T block: ds = p * (dp - rowsum(p * dp)) * scale, in place of dp.
void ck_softmax_backward_rows(const float *p, float *dp, long rows, long n, float scale);
// LayerNorm of `rows` rows of c floats: y = (x - mean) * rstd * w + b (w, b optional).
void ck_layernorm_forward(const float *x, const float *w, const float *b, float eps, float *mean, float *rstd,
                          float *y, long rows, long c);
// LayerNorm backward: dx (+)= ..., and dw_acc[c] += dy * xhat, db_acc[c] += dy (both over the rows).
void ck_layernorm_backward(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                           float *dx, int accumulate, float *dw_acc, float *db_acc, long rows, long c);
// Fused attention of one (sample, head), any tq <= tk, hd a multiple of 16.
// q: tq query rows of hd floats, ldq apart; k, v: tk rows, ld apart (a head's slice of the qkv rows);
// out: tq rows, ldo apart. p receives the tq x tk softmax (row-major, kept for backward); scale
// multiplies q·k.
// Floats of scratch one call needs (per worker): Kᵀ or Vᵀ (hd x tk padded to 16) and the backward's
// dS (tq x tk).
static inline long ck_attention_scratch(long tq, long tk, long hd) {
    return tq * tk + hd * ((tk + 15) / 16 * 16);
}
void ck_attention_forward(const float *q, long ldq, const float *k, const float *v, long ld, long tq, long tk,
                          long hd, float scale, float *p, float *out, long ldo, float *scratch);
// The same outputs without the softmax matrix, rows in blocks of CK_ATTENTION_ROWS (a multiple of
// every register block's rows) whose scores stay in cache; scratch: ck_attention_rows_scratch floats.
#define CK_ATTENTION_ROWS 24
static inline long ck_attention_rows_scratch(long tk, long hd) {
    return hd * ((tk + 15) / 16 * 16) + CK_ATTENTION_ROWS * tk;
}
void ck_attention_forward_rows(const float *q, long ldq, const float *k, const float *v, long ld, long tq, long tk,
                               long hd, float scale, float *out, long ldo, float *scratch);
// Given dout (tq rows, ldo apart), writes dq (tq rows, ldq apart), dk and dv (tk rows each, ld apart);
// not accumulated.
void ck_attention_backward(const float *q, long ldq, const float *k, const float *v, long ld, const float *p,
                           const float *dout, long ldo, long tq, long tk, long hd, float scale, float *dq, float *dk,
                           float *dv, float *scratch);
// bfloat16 as AVX512_BF16 converts (round to nearest even, subnormals to signed zero, NaN kept): `rows`
// rows of `cols` floats, ld apart, written densely (rows x cols) as bf16 bits (ck_to_bf16, the operands
// of a native bf16 GEMM; the instruction itself where the CPU has it) or as the float32 values of those
// bf16 numbers (ck_round_bf16, the operands of the emulation).
void ck_to_bf16(const float *src, long rows, long cols, long ld, unsigned short *dst);
void ck_round_bf16(const float *src, long rows, long cols, long ld, float *dst);
// exp(x) and the standard normal CDF of one value, as the vector code computes them (for tests).
float ck_expf(float x);
float ck_normal_cdf(float x);

#endif
