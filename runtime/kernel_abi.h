/* The contract between generated code (codegen/, LLVM) and the runtime that calls it.
 *
 * This header is plain C, standalone and versioned (in the spirit of IREE's
 * executable_library.h): the JIT emits functions with exactly these signatures, the runtime
 * calls them through the function-pointer typedefs below and never links LLVM. Any change to
 * a struct layout or to the meaning of a field bumps DSC_KERNEL_ABI_VERSION; the version is
 * part of the object-cache key, so stale cached code is never loaded.
 *
 * Kernels are freestanding: no libc calls, no allocation, no globals with state, no threads.
 * A caller splits the output rows of a weight into ranges and calls the same kernel on each
 * range from its own thread; ranges must be disjoint, so every thread streams its own weight
 * rows (the decode loop is memory-bandwidth bound, sharing rows would read them twice).
 */
#ifndef DSC_RUNTIME_KERNEL_ABI_H_
#define DSC_RUNTIME_KERNEL_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSC_KERNEL_ABI_VERSION 2

/* Which weight format a linear kernel reads, in the checkpoint's own layout (zero copy).
 *   NVFP4: w = U8 [n, k/2], column 2j in the LOW nibble of byte j (formats.md §6);
 *          w_scale = E4M3 [n, k/16]; w_global_scale = weight_scale_2.
 *   FP8:   w = E4M3 [n, k]; w_scale = F32 [ceil(n/128), ceil(k/128)] (weight_scale_inv);
 *          w_global_scale is ignored.
 *   BF16:  w = BF16 [n, k] (a dense checkpoint matrix read in place); w_scale and
 *          w_global_scale are ignored.
 * Scale codes must be finite (an E4M3 NaN code 0x7F/0xFF is not a valid checkpoint scale and
 * decodes to a finite number here); the loader validates them. */
typedef enum dsc_weight_format {
  DSC_WEIGHT_NVFP4 = 1,
  DSC_WEIGHT_FP8_BLOCK128 = 2,
  DSC_WEIGHT_BF16 = 3,
  /* Not a weight format: the kernel is a row normalization and its `fn` is really a
   * dsc_rms_norm_fn (below); it is held and cached like the linear kernels. */
  DSC_KERNEL_RMS_NORM = 16,
  /* Not a weight format either: a dsc_indexer_scores_fn (below). */
  DSC_KERNEL_INDEXER_SCORES = 17,
  /* Not a weight format either: a dsc_mla_attention_fn (below). */
  DSC_KERNEL_MLA_ATTENTION = 18,
  /* Not a weight format either: a dsc_attention_block_fn (below). */
  DSC_KERNEL_ATTENTION_BLOCK = 19,
  /* Not a weight format either: a dsc_indexer_block_fn (below). */
  DSC_KERNEL_INDEXER_BLOCK = 20,
  /* Not a weight format either: a dsc_swiglu_fn (below). */
  DSC_KERNEL_SWIGLU = 21,
  /* Not a weight format either: a dsc_layer_norm_fn (below). */
  DSC_KERNEL_LAYER_NORM = 22,
  /* Not a weight format either: a dsc_topk_mask_fn (below). */
  DSC_KERNEL_TOPK_MASK = 23,
} dsc_weight_format;

/* y[i, j] = sum_c x[i, c] * W[j, c] for i < m and row_begin <= j < row_end (float32 in, float32
 * accumulation, float32 out). Elements of y outside [row_begin, row_end) are not touched. */
typedef struct dsc_linear_args {
  const float* x;       /* [m, k], row i at x + i * ldx                                    */
  float* y;             /* [m, n], row i at y + i * ldy                                    */
  const uint8_t* w;     /* weight codes of row 0 (see dsc_weight_format)                   */
  const void* w_scale;  /* block scales of row 0                                           */
  float w_global_scale; /* NVFP4 weight_scale_2                                             */
  int32_t reserved0;    /* must be 0                                                        */
  int64_t m;            /* activation rows; a GEMV kernel requires m == its static m       */
  int64_t ldx;          /* elements, >= k                                                   */
  int64_t ldy;          /* elements, >= n                                                   */
  int64_t row_begin;    /* first output column (weight row) this call computes             */
  int64_t row_end;      /* one past the last; 0 <= row_begin <= row_end <= n               */
  void* scratch;        /* >= dsc_kernel_info.scratch_bytes(m), 64-byte aligned, private   */
} dsc_linear_args;

/* Every linear kernel has this signature. Shapes n and k are compiled in. */
typedef void (*dsc_linear_fn)(const dsc_linear_args* args);

/* What the runtime needs to know to call a kernel; filled by codegen next to the pointer. */
typedef struct dsc_kernel_info {
  int32_t abi_version; /* DSC_KERNEL_ABI_VERSION of the code generator                    */
  int32_t format;      /* dsc_weight_format                                                */
  int64_t n, k;        /* static weight shape [n, k]                                       */
  int64_t m_static;    /* GEMV: the m it was specialized for; GEMM: 0 (m is a runtime arg) */
  int64_t row_align;   /* split rows at multiples of this for best speed (any split works) */
  /* scratch bytes for one call = scratch_base + scratch_per_m * round_up(m, scratch_m_align)  */
  int64_t scratch_base;
  int64_t scratch_per_m;
  int64_t scratch_m_align;
} dsc_kernel_info;

/* A kernel as the runtime holds it. */
typedef struct dsc_linear_kernel {
  dsc_linear_fn fn;
  dsc_kernel_info info;
} dsc_linear_kernel;

/* RMS normalization of rows of a compiled-in length `dim` (info.n == info.k == dim): the
 * rms_norm op, and the add_rms_norm the fuse-elementwise pass makes of a residual add and the
 * norm after it (model.md §1, §4). Per row i:
 *   s = x[i] + residual[i]      (residual NULL: s = x[i]; then sum must be NULL too)
 *   sum[i] = s                  (the new residual stream)
 *   y[i] = (s * rsqrt(mean(s * s) + eps)) * weight
 * The rsqrt is computed in double and rounded once, as the reference does; the sum of squares
 * is a float32 sum in the kernel's own order. y must not overlap the inputs. */
typedef struct dsc_rms_norm_args {
  const float* x;        /* [rows, dim]                                   */
  const float* residual; /* [rows, dim] or NULL                           */
  float* sum;            /* [rows, dim], or NULL when residual is NULL    */
  const float* weight;   /* [dim]                                          */
  float* y;              /* [rows, dim]                                   */
  int64_t rows;
  float eps;
  int32_t reserved0;     /* must be 0                                      */
} dsc_rms_norm_args;

typedef void (*dsc_rms_norm_fn)(const dsc_rms_norm_args* args);

/* Layer normalization of rows of a compiled-in length `dim` (info.n == info.k == dim): the
 * layer_norm op (the indexer's key norm, model.md §8). Per row i:
 *   mean = Σ x[i] / dim,   var = Σ (x[i] - mean)² / dim
 *   y[i] = ((x[i] - mean) * rsqrt(var + eps)) * gamma + beta
 * Both sums are float32 in increasing order and the rsqrt is computed in double and rounded
 * once, as the reference does: bit-identical to it. y must not overlap the inputs. */
typedef struct dsc_layer_norm_args {
  const float* x;     /* [rows, dim] */
  const float* gamma; /* [dim]       */
  const float* beta;  /* [dim]       */
  float* y;           /* [rows, dim] */
  int64_t rows;
  float eps;
  int32_t reserved0; /* must be 0   */
} dsc_layer_norm_args;

typedef void (*dsc_layer_norm_fn)(const dsc_layer_norm_args* args);

/* The lightning indexer's scores of one query row against cached keys (indexer_score at decode,
 * model.md §8), for keys j in [begin, end):
 *   out[j] = (Σ_h max(Σ_c q[h,c] · k[j,c], 0) · w[h] · scale) · k_scale[j]   (k_scale NULL: no factor)
 * in the reference's order exactly — c increasing, then heads increasing, each product rounded
 * before its add (no fused multiply-add) — so the scores are bit-identical to the interpreter's,
 * whose top-k they feed. The query is laid out with its heads in lanes: groups of 16 heads,
 * qt[(g·d + c)·16 + lane] = q[16g + lane, c], wv[16g + lane] = w[16g + lane], zero past the heads.
 * heads and d are compiled in (info.n = heads, info.k = d); k is [end, d] float32. */
typedef struct dsc_indexer_scores_args {
  const float* qt;
  const float* wv;
  const float* k;
  const float* k_scale;
  float* out;
  int64_t begin;
  int64_t end;
  float scale;
  int32_t reserved0; /* must be 0 */
} dsc_indexer_scores_args;

typedef void (*dsc_indexer_scores_fn)(const dsc_indexer_scores_args* args);

/* MLA latent attention of one decode query row, all heads at once (mla_decode_attention, model.md
 * §7b), in three phases the caller runs in order, each split over threads by [begin, end):
 *   phase 0, keys i in [begin, end):
 *     z[i, h] = scale · (Σ_c ql[h,c] · kv[keys[i],c] + Σ_c qp[h,c] · pe[keys[i],c]) + mask[keys[i]]
 *     (mask NULL: + 0)
 *   phase 1, head groups g in [begin, end): each head's softmax over i in place,
 *     z[i, h] = e[i, h] / Σ_i e[i, h],  e = (z == −inf) ? 0 : exp(z − max_i z)
 *     with the exp of numerics/exp.h (dsc::numerics::ExpF), bit for bit;
 *   phase 2, columns c in [begin, end) (begin a multiple of 16):
 *     o[h, c] = Σ_i z[i, h] · kv[keys[i], c]
 * Every sum runs in the reference's order (c increasing, then i increasing; each product rounded
 * before its add, no fused multiply-add), so the result is bit-identical to the interpreter's
 * ref::MlaLatentAttentionRow. Heads sit in the lanes of 16-float vectors: groups of 16 heads,
 * ql[(g·rank + c)·16 + lane] = q_latent[16g + lane, c], qp the same with dr, zero past the heads;
 * z[i·groups·16 + h]. rank is compiled in (info.n = info.k = rank); heads and dr are arguments.
 * keys increase; phase 2 needs dsc_mla_attention_scratch_bytes(heads) bytes of private scratch
 * (4-byte aligned). */
typedef struct dsc_mla_attention_args {
  const float* ql;
  const float* qp;
  const float* kv;      /* [t, rank] */
  const float* pe;      /* [t, dr]   */
  const int64_t* keys;  /* [n]       */
  const float* mask;    /* [t] or NULL */
  float* z;             /* [n, groups·16] */
  float* o;             /* [heads, rank]  */
  void* scratch;
  int64_t heads;
  int64_t n;
  int64_t dr;
  int64_t begin;
  int64_t end;
  float scale;
  int32_t phase;
} dsc_mla_attention_args;

/* Phase 2's scratch: a block of 128 keys' rows of a 64-column strip, and the block's
 * probabilities by 4-head tile. */
static inline int64_t dsc_mla_attention_scratch_bytes(int64_t heads) {
  return (128 * 64 + 128 * 4 * ((heads + 3) / 4)) * (int64_t)sizeof(float);
}

typedef void (*dsc_mla_attention_fn)(const dsc_mla_attention_args* args);

/* One task of prefill attention (the attention op, model.md §7): one head and a block of up to
 * 16 query rows r (one per float lane), against keys j < keys:
 *   z[j, r] = scale · Σ_c q[r, c] · k[j, c]  + mask[r, j]     (mask NULL: + 0)
 *   z[j, r] = −inf where causal_first >= 0 and j > causal_first + r
 *   p[·, r] = softmax over j (numerics/exp.h's exp, bit for bit)
 *   o[r, c] = Σ_j p[j, r] · v[j, c]    (terms with p == 0 skipped, as the reference does)
 * for rows r < `rows`; every sum in the reference's order (c, then j, increasing; each product
 * rounded before its add), so bit-identical to the interpreter. d and dv are compiled in
 * (info.k = d, info.n = dv). */
typedef struct dsc_attention_block_args {
  const float* qt;     /* [d, 16]: qt[c·16 + r] = q[r, c], zero past `rows`               */
  const float* k;      /* key j at k + j·k_stride, d floats                              */
  const float* v;      /* value j at v + j·v_stride, dv floats                           */
  const float* tiles;  /* NULL, or (every value finite) v as 16-column tiles:
                          tiles[tile·tile_stride + j·16 + c] = v[j, 16·tile + c]         */
  const float* mask;   /* NULL, or row r's additive mask at mask + r·mask_ld             */
  float* dots;         /* scratch, max(keys, 1)·16 floats                                 */
  float* o;            /* [16, dv]; rows < `rows` are written                             */
  int64_t k_stride;
  int64_t v_stride;
  int64_t tile_stride;
  int64_t mask_ld;
  int64_t keys;
  int64_t rows;         /* 1..16 */
  int64_t causal_first; /* < 0: no causal limit */
  float scale;
  int32_t reserved0;    /* must be 0 */
} dsc_attention_block_args;

typedef void (*dsc_attention_block_fn)(const dsc_attention_block_args* args);

/* One head's term of the lightning indexer's prefill scores (indexer_score, model.md §8) for a
 * block of up to 16 query rows r (one per float lane), keys j < keys:
 *   acc[j·16 + r] += (max(Σ_c qt[c·16 + r] · k[j·d + c], 0) · w[r]) · scale
 * the dot over c increasing, each product rounded before its add; the caller adds the heads in
 * increasing order, so the scores are bit-identical to the interpreter's. d is compiled in
 * (info.n = info.k = d). */
typedef struct dsc_indexer_block_args {
  const float* qt; /* [d, 16], zero past the block's rows */
  const float* k;  /* [keys, d] */
  const float* w;  /* [16] */
  float* acc;      /* [keys, 16] */
  int64_t keys;
  float scale;
  int32_t reserved0; /* must be 0 */
} dsc_indexer_block_args;

typedef void (*dsc_indexer_block_fn)(const dsc_indexer_block_args* args);

/* SwiGLU, the epilogue of the gate and up products (gate_up_swiglu, swiglu, model.md §9):
 *   y[i] = gate[i] / (1 + exp(−gate[i])) · up[i]      for i < n
 * with the exp of numerics/exp.h, bit-identical to ref::SwiGlu. y may be gate or up (element i
 * is read before it is written). The length is an argument: one kernel serves every width
 * (info.n == info.k == 1). */
typedef struct dsc_swiglu_args {
  const float* gate;
  const float* up;
  float* y;
  int64_t n;
} dsc_swiglu_args;

typedef void (*dsc_swiglu_fn)(const dsc_swiglu_args* args);

/* The indexer's top-k selection (sparse_topk_mask, model.md §7.6, §8 step 8), per row of n
 * scores: y = 0 at the min(k, n) largest, −inf elsewhere (k <= 0: −inf everywhere). The order
 * is "larger score first, then lower position", a strict total order, so the chosen set is
 * unique: the reference's (ref::TopkMask) exactly. −0 equals +0; −inf scores (future keys) are
 * ordinary values, chosen by position when fewer than k are finite. NaN scores are ordered by
 * their bits (the reference leaves them unspecified). One kernel serves every n and k
 * (info.n == info.k == 1); y must not overlap scores. */
typedef struct dsc_topk_mask_args {
  const float* scores; /* [rows, n] */
  float* y;            /* [rows, n] */
  int64_t rows;
  int64_t n;
  int64_t k;
} dsc_topk_mask_args;

typedef void (*dsc_topk_mask_fn)(const dsc_topk_mask_args* args);

static inline int64_t dsc_kernel_scratch_bytes(const dsc_kernel_info* info, int64_t m) {
  const int64_t a = info->scratch_m_align > 0 ? info->scratch_m_align : 1;
  return info->scratch_base + info->scratch_per_m * ((m + a - 1) / a * a);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DSC_RUNTIME_KERNEL_ABI_H_ */
