// Reference multi-head latent attention (model.md §7): the prefill form 7a, the absorbed
// decode form 7b and its generalization to chunks at P > 0 (§7.7), on float32 arrays.
#ifndef DSC_RUNTIME_INTERP_KERNELS_ATTENTION_H_
#define DSC_RUNTIME_INTERP_KERNELS_ATTENTION_H_

#include <cstdint>

namespace dsc::runtime::ref {

// Head geometry of one MLA layer (official ModelArgs names in the comments).
struct MlaDims {
  int64_t n_heads = 0;       // H (n_heads)
  int64_t qk_nope_dim = 0;   // d_n (qk_nope_head_dim)
  int64_t qk_rope_dim = 0;   // d_r (qk_rope_head_dim)
  int64_t v_head_dim = 0;    // d_v (v_head_dim)
  int64_t kv_lora_rank = 0;  // R_kv (kv_lora_rank)
  int64_t qk_head_dim() const { return qk_nope_dim + qk_rope_dim; }
};

// The keys each query row may attend to, as chosen by the indexer (§8 top-k): row s lists
// absolute key positions indices[s * k .. s * k + k), −1 marking an unused slot. Keys are
// additionally restricted to the causal ones (t <= position of the query) by every kernel, so
// the selection may contain future positions. indices == nullptr means "every causal key"
// (dense attention, e.g. while end_pos <= index_topk).
struct KeySelection {
  const int32_t* indices = nullptr;
  int64_t k = 0;
};

// §7a prefill form for a chunk at start_pos 0 (query row s sits at position s and only the
// chunk's own keys exist). Inputs: q [S, H, d_n + d_r] (nope | roped pe per head),
// kvb = latent · W_kvbᵀ [S, H, d_n + d_v] (k_nope | v per head), k_pe [S, d_r] (roped, shared by
// all heads). Output o [S, H, d_v]:
//   z[s,h,t] = scale · (q[s,h] · concat(k_nope[t,h], k_pe[t])) over selected t <= s,
//   o[s,h] = Σ_t softmax_t(z)[t] · v[t,h].
void MlaPrefillAttention(const float* q, const float* kvb, const float* k_pe, int64_t s,
                         const MlaDims& dims, float scale, KeySelection selection, float* o);

// §7b step 1, query absorption: q_latent[s,h,c] = Σ_{j<d_n} q[s,h,j] · W_UK[h][j,c], where
// W_UK[h] = rows h·(d_n+d_v) + j (j < d_n) of w_kvb [H·(d_n+d_v), R_kv]. q [S, H, d_n + d_r]
// (only the nope part is read), q_latent [S, H, R_kv].
void MlaAbsorbQuery(const float* q, const float* w_kvb, int64_t s, const MlaDims& dims,
                    float* q_latent);

// §7b steps 2–3 (and §7.7), attention in latent space over the cache rows [0, end_pos):
//   z[s,h,t] = scale · (q_latent[s,h] · kv[t] + q_pe[s,h] · pe[t]) over selected t <= positions[s],
//   o_latent[s,h] = Σ_t softmax_t(z)[t] · kv[t].
// q_latent [S, H, R_kv], q_pe [S, H, d_r] (roped), kv [end_pos, R_kv], pe [end_pos, d_r],
// positions [S] absolute positions of the query rows (each < end_pos), o_latent [S, H, R_kv].
void MlaLatentAttention(const float* q_latent, const float* q_pe, const float* kv, const float* pe,
                        const int64_t* positions, int64_t s, int64_t end_pos, const MlaDims& dims,
                        float scale, KeySelection selection, float* o_latent);

// One query row of mla_decode_attention's latent attention (the fused op, with an additive
// mask instead of a key selection): z[t] = scale · (q_latent · kv[t] + q_pe · pe[t]) + mask[t]
// (mask may be null), −inf for t > last_visible when last_visible >= 0 (causal);
// o_latent = Σ_t softmax(z)[t] · kv[t]. z is scratch of t floats, o_latent [R_kv]. The dot
// products are sequential sums unless `dot` is given (fast engines pass a vectorized one).
using DotFn = float (*)(const float* a, const float* b, int64_t n);
void MlaLatentAttentionRow(const float* q_latent, const float* q_pe, const float* kv, const float* pe, int64_t t,
                           int64_t rank, int64_t rope_dim, float scale, const float* mask, int64_t last_visible,
                           float* z, float* o_latent, DotFn dot = nullptr);

// §7b step 4, value un-absorption: o[s,h,j] = Σ_c W_UV[h][j,c] · o_latent[s,h,c], where
// W_UV[h] = rows h·(d_n+d_v) + d_n + j of w_kvb. o_latent [S, H, R_kv], o [S, H, d_v].
void MlaUnabsorbValue(const float* o_latent, const float* w_kvb, int64_t s, const MlaDims& dims,
                      float* o);

// The whole absorbed form (§7b for S == 1, §7.7 for chunks at P > 0): absorb, latent attention,
// un-absorb. q [S, H, d_n + d_r] with roped pe; other arguments as above; o [S, H, d_v].
void MlaDecodeAttention(const float* q, const float* w_kvb, const float* kv, const float* pe,
                        const int64_t* positions, int64_t s, int64_t end_pos, const MlaDims& dims,
                        float scale, KeySelection selection, float* o);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_ATTENTION_H_
