// mla_decode_attention for fast engines: the same math as the reference (eval_fused.cc,
// model.md §7b) without dequantizing the whole NVFP4 W_KVB to float32 on every call.
//
// W_KVB [H·(d_n + d_v), R] holds, per head, W_UK (d_n rows) then W_UV (d_v rows).
//   - o = W_UV ō is a GEMV over a contiguous row range of W_KVB: the engine's NVFP4 kernel on
//     those rows, reading the checkpoint bytes in place.
//   - q̃ = W_UKᵀ q_nope is a transposed product over W_UK's d_n rows, also read in place
//     (nvfp4_transposed.h; a BF16 copy of W_UKᵀ, 3.6x the bytes, made this step memory-bound).
//   - the attention over the cached latents runs for all heads at once
//     (latent_attention_fast.h), bit-identical to the reference's for the same q̃ (with BF16
//     products instead in the opt-in `--activations bf16` mode).
// The products are split over the engine's threads by heads (W_UV on each thread's own kernels).
// Differs from the reference only in the products' summation order and in applying the
// per-tensor scale once per sum instead of once per weight (float32 roundings).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "numerics/scalar_formats.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/latent_attention_fast.h"
#include "runtime/interp/nvfp4_transposed.h"

namespace dsc::runtime {
namespace {

}  // namespace

EvalResult FastMlaDecodeAttention(const EvalArgs& a) {
  const Tensor& w = *a.in[4];
  FastLinear* fast = a.fast;
  if (fast == nullptr || fast->pool() == nullptr || !w.quantized ||
      w.quant.format != ir::QuantFormat::kNvfp4 || w.quant.parts.size() != 3) {
    return absl::UnimplementedError("no fast MLA path");
  }
  const Tensor& qn = *a.in[0];
  const Tensor& qp = *a.in[1];
  const Tensor& kv = *a.in[2];
  const Tensor& pe = *a.in[3];
  const Tensor* mask = a.in.size() == 6 ? a.in[5] : nullptr;
  const int64_t s = qn.shape[0], h = qn.shape[1], dn = qn.shape[2], dr = qp.shape[2];
  const int64_t t = kv.shape[0], rank = kv.shape[1], dv = a.result_shapes[0][2], rows = dn + dv;
  const int64_t n = w.shape[0];
  if (rank % 16 != 0 || n != h * rows || w.shape[1] != rank) return absl::UnimplementedError("no fast MLA path");
  absl::StatusOr<MlaDecodeAttrs> attrs = MlaDecodeAttrsOf(a);
  if (!attrs.ok()) return attrs.status();
  float global;
  std::memcpy(&global, w.quant.parts[2], sizeof(float));

  // The W_UV kernel must exist before the heads are split (RunRows with an empty range probes).
  if (!fast->RunRows(&w.quant, 0, ir::DType::kF32, nullptr, n, rank, qn.f.data(), 1, nullptr, 0, 0, 0)) {
    return absl::UnimplementedError("no kernels for the fast MLA path");
  }

  Tensor o = a.NewFloat(0);
  ThreadPool& pool = *fast->pool();
  const bool bf16 = fast->bf16_activations();
  // The compiled latent attention, found (or compiled) here, before the pool's threads call it.
  const dsc_mla_attention_fn compiled = bf16 ? nullptr : fast->MlaAttention(rank);
  // Scratch that only grows; the pool's threads reach it through the local pointers.
  thread_local std::vector<float> scratch;
  if (scratch.size() < static_cast<size_t>(2 * h * rank)) scratch.resize(2 * h * rank);
  float* const ql = scratch.data();
  float* const ol = scratch.data() + h * rank;
  // q̃ = W_UKᵀ q_nope and o = W_UV ō for heads [begin, end) of row i (o on `thread`'s kernels).
  auto absorb = [&](int64_t i, int64_t begin, int64_t end) {
    auto codes = [&](int64_t hh) { return w.quant.parts[0] + hh * rows * (rank / 2); };
    auto scales = [&](int64_t hh) { return w.quant.parts[1] + hh * rows * (rank / 16); };
    for (int64_t hh = begin; hh < end; ++hh) {
      // W_UK of head hh: rows [hh·(d_n + d_v), + d_n); the next head's are prefetched as it ends.
      const bool more = hh + 1 < end;
      Nvfp4TransposedProduct(codes(hh), scales(hh), global, dn, rank, qn.f.data() + (i * h + hh) * dn,
                             ql + hh * rank, more ? codes(hh + 1) : nullptr, more ? scales(hh + 1) : nullptr);
    }
  };
  auto unabsorb = [&](int64_t i, int64_t begin, int64_t end, int thread) {
    thread_local std::vector<float> y;
    y.resize(n);
    for (int64_t hh = begin; hh < end; ++hh) {
      const int64_t first = hh * rows + dn;
      fast->RunRows(&w.quant, 0, ir::DType::kF32, nullptr, n, rank, ol + hh * rank, 1, y.data(), first,
                    first + dv, thread);
      std::copy_n(y.begin() + first, dv, o.f.begin() + (i * h + hh) * dv);
    }
  };
  // A short context: each thread takes its heads through all three steps, one pool run per
  // row. A long one: the attention shares each key's row among all heads (three pool runs).
  const bool short_context = t * h * (rank + dr) < (int64_t{1} << 21);
  for (int64_t i = 0; i < s; ++i) {
    const float* mask_row = mask != nullptr ? mask->f.data() + i * t : nullptr;
    const int64_t last_visible = attrs->causal ? attrs->start + i : -1;
    const float* q_pe = qp.f.data() + i * h * dr;
    if (short_context) {
      pool.Run([&](int thread) {
        const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
        absorb(i, begin, end);
        LatentAttentionAllHeads(nullptr, ql + begin * rank, q_pe + begin * dr, kv.f.data(), pe.f.data(), t,
                                end - begin, rank, dr, attrs->scale, mask_row, last_visible,
                                ol + begin * rank, bf16, compiled);
        unabsorb(i, begin, end, thread);
      });
      continue;
    }
    pool.Run([&](int thread) {
      const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
      absorb(i, begin, end);
    });
    LatentAttentionAllHeads(&pool, ql, q_pe, kv.f.data(), pe.f.data(), t, h, rank, dr, attrs->scale, mask_row,
                            last_visible, ol, bf16, compiled);
    pool.Run([&](int thread) {
      const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
      unabsorb(i, begin, end, thread);
    });
  }
  return Results(std::move(o));
}

}  // namespace dsc::runtime
