// The BF16 products of MLA's latent attention (latent_attention_fast.h with bf16 = true), for
// the opt-in reduced-precision mode (`--activations bf16`): queries, cached latents and
// probabilities rounded to BF16 (nearest even), products summed in float32 by AVX-512 BF16
// dot products (two per lane and instruction, twice the multiply-adds per instruction of the
// float32 path). The softmax between them stays float32. Internal to latent_attention_fast.cc.
#ifndef DSC_RUNTIME_INTERP_LATENT_ATTENTION_BF16_H_
#define DSC_RUNTIME_INTERP_LATENT_ATTENTION_BF16_H_

#include <cstdint>

namespace dsc::runtime::bf16_attention {

// The CPU has AVX-512 BF16 (and the shapes qualify: rank % 16 == 0, dr even).
bool Usable(int64_t rank, int64_t dr);

// q [heads, width] → qb, per 16-head group g and column pair c2: 16 lanes of (bf16(q[h][2·c2]),
// bf16(q[h][2·c2 + 1])) as uint32 at qb[(g·width/2 + c2)·16 + lane]; lanes past `heads` zero.
void PackQueries(const float* q, int64_t heads, int64_t width, uint32_t* qb);

// z[i][g·16 + lane] = scale·(q̃·KV[keys[i]] + q_pe·PE[keys[i]]) + mask[keys[i]] for i in
// [begin, end), the q's packed by PackQueries (z rows of groups·16).
void ScoreKeys(const uint32_t* ql, const uint32_t* qp, const float* kv, const float* pe, int64_t rank, int64_t dr,
               int64_t groups, const int64_t* keys, int64_t begin, int64_t end, float scale, const float* mask,
               float* z);

// o[h][c] = Σ_i p[i][h] · KV[keys[i]][c] for c in [c0, c1) (multiples of 16), i < n (p rows of
// ldp, o rows of ldo).
void AccumulateValues(const float* p, int64_t ldp, const float* kv, const int64_t* keys, int64_t n, int64_t heads,
                      int64_t rank, int64_t c0, int64_t c1, float* o, int64_t ldo);

}  // namespace dsc::runtime::bf16_attention

#endif  // DSC_RUNTIME_INTERP_LATENT_ATTENTION_BF16_H_
