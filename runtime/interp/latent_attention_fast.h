// MLA latent attention (model.md §7b) of one query row for all heads at once, for fast engines:
//     ō[h] = Σ_t softmax_t(scale·(q̃[h]·KV[t] + q_pe[h]·PE[t]) + mask[t]) · KV[t]
// over the keys t <= last_visible (all when last_visible < 0) that the mask does not drop (−inf).
// The heads sit in vector lanes (16 per vector), so each key's row of KV is read once for all
// heads and each head's dot product still sums over c in increasing order: bit-identical to
// ref::MlaLatentAttentionRow with its default sequential dot. With a pool, keys are split over
// its threads for the scores, heads for the softmax, ō's columns for the weighted sum; without
// (nullptr), all on the calling thread.
#ifndef DSC_RUNTIME_INTERP_LATENT_ATTENTION_FAST_H_
#define DSC_RUNTIME_INTERP_LATENT_ATTENTION_FAST_H_

#include <cstdint>

#include "runtime/kernel_abi.h"
#include "runtime/thread_pool.h"

namespace dsc::runtime {

// q_latent [heads, rank], q_pe [heads, dr], kv [t, rank], pe [t, dr], mask [t] or null;
// o_latent [heads, rank]. bf16: the opt-in reduced precision (latent_attention_bf16.h), where
// the CPU has AVX-512 BF16 and rank % 16 == 0, dr even; else (and by default) the float32
// products, bit-identical to the reference. compiled: the engine's kernel for `rank`
// (codegen/emit_mla_attention.cc, the same arithmetic) runs the float32 path's three phases.
void LatentAttentionAllHeads(ThreadPool* pool, const float* q_latent, const float* q_pe, const float* kv,
                             const float* pe, int64_t t, int64_t heads, int64_t rank, int64_t dr, float scale,
                             const float* mask, int64_t last_visible, float* o_latent, bool bf16 = false,
                             dsc_mla_attention_fn compiled = nullptr);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_LATENT_ATTENTION_FAST_H_
