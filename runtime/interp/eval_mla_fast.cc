// mla_decode_attention for fast engines: the same math as the reference (eval_fused.cc,
// model.md §7b) without dequantizing the whole NVFP4 W_KVB to float32 on every call.
//
// W_KVB [H·(d_n + d_v), R] holds, per head, W_UK (d_n rows) then W_UV (d_v rows).
//   - o = W_UV ō is a GEMV over a contiguous row range of W_KVB: the engine's NVFP4 kernel on
//     those rows, reading the checkpoint bytes in place.
//   - q̃ = W_UKᵀ q_nope is a transposed product. Its matrix is derived once per engine: W_UK
//     of every head transposed to [R, d_n] as the exact products e2m1 · e4m3 (a 6-bit
//     significand, exact in BF16) — then q̃ = global · (that · q_nope) is a BF16 GEMV.
//   - the attention over the cached latents runs for all heads at once
//     (latent_attention_fast.h), bit-identical to the reference's for the same q̃.
// The products are split over the engine's threads by heads, each on its own thread's kernels.
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

namespace dsc::runtime {
namespace {

// Heads [head_begin, head_end) of W_UK as [H, R, d_n] BF16 bits of e2m1 · e4m3 (without the
// global scale) into `out` (all H heads' storage).
void FillTransposedUk(const QuantView& w, int64_t head_begin, int64_t head_end, int64_t dn, int64_t dv, int64_t rank,
                      uint16_t* out) {
  const uint8_t* codes = w.parts[0];
  const uint8_t* scales = w.parts[1];
  float e2m1[16];
  for (int c = 0; c < 16; ++c) e2m1[c] = numerics::DecodeE2m1(static_cast<uint8_t>(c));
  for (int64_t hh = head_begin; hh < head_end; ++hh) {
    uint16_t* head = out + hh * rank * dn;
    for (int64_t j = 0; j < dn; ++j) {
      const int64_t row = hh * (dn + dv) + j;
      const uint8_t* row_codes = codes + row * (rank / 2);
      for (int64_t block = 0; block < rank / 16; ++block) {
        const float scale = numerics::DecodeE4m3(scales[row * (rank / 16) + block]);
        for (int64_t c = block * 16; c < block * 16 + 16; ++c) {
          const uint8_t byte = row_codes[c / 2];
          const float value = e2m1[c % 2 == 0 ? byte & 0xF : byte >> 4] * scale;  // exact
          head[c * dn + j] = numerics::FloatToBf16(value);                        // exact
        }
      }
    }
  }
}

}  // namespace

EvalResult FastMlaDecodeAttention(const EvalArgs& a) {
  const Tensor& w = *a.in[4];
  FastLinear* fast = a.fast;
  if (fast == nullptr || a.derived == nullptr || fast->pool() == nullptr || !w.quantized ||
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

  auto it = a.derived->bf16.find(w.quant.parts[0]);
  if (it == a.derived->bf16.end()) {  // first use: built once per engine, heads split over the threads
    std::vector<uint16_t> uk(static_cast<size_t>(h * rank * dn));
    ThreadPool& pool = *fast->pool();
    pool.Run([&](int thread) {
      const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
      FillTransposedUk(w.quant, begin, end, dn, dv, rank, uk.data());
    });
    it = a.derived->bf16.emplace(w.quant.parts[0], std::move(uk)).first;
  }
  const std::vector<uint16_t>& uk_t = it->second;
  const auto* uk_bytes = reinterpret_cast<const uint8_t*>(uk_t.data());
  // Both kernels must exist before the heads are split (RunRows with an empty range probes).
  if (!fast->RunRows(nullptr, 0, ir::DType::kBF16, uk_bytes, rank, dn, qn.f.data(), 1, nullptr, 0, 0, 0) ||
      !fast->RunRows(&w.quant, 0, ir::DType::kF32, nullptr, n, rank, qn.f.data(), 1, nullptr, 0, 0, 0)) {
    return absl::UnimplementedError("no kernels for the fast MLA path");
  }

  Tensor o = Tensor::Float(a.result_shapes[0]);
  ThreadPool& pool = *fast->pool();
  std::vector<float> ql(h * rank), ol(h * rank);
  // q̃ = W_UKᵀ q_nope and o = W_UV ō for heads [begin, end) of row i, on `thread`'s kernels.
  auto absorb = [&](int64_t i, int64_t begin, int64_t end, int thread) {
    for (int64_t hh = begin; hh < end; ++hh) {
      float* q_latent = ql.data() + hh * rank;
      fast->RunRows(nullptr, 0, ir::DType::kBF16, uk_bytes + hh * rank * dn * 2, rank, dn,
                    qn.f.data() + (i * h + hh) * dn, 1, q_latent, 0, rank, thread);
      for (int64_t c = 0; c < rank; ++c) q_latent[c] *= global;
    }
  };
  auto unabsorb = [&](int64_t i, int64_t begin, int64_t end, int thread) {
    thread_local std::vector<float> y;
    y.resize(n);
    for (int64_t hh = begin; hh < end; ++hh) {
      const int64_t first = hh * rows + dn;
      fast->RunRows(&w.quant, 0, ir::DType::kF32, nullptr, n, rank, ol.data() + hh * rank, 1, y.data(), first,
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
        absorb(i, begin, end, thread);
        LatentAttentionAllHeads(nullptr, ql.data() + begin * rank, q_pe + begin * dr, kv.f.data(), pe.f.data(), t,
                                end - begin, rank, dr, attrs->scale, mask_row, last_visible,
                                ol.data() + begin * rank);
        unabsorb(i, begin, end, thread);
      });
      continue;
    }
    pool.Run([&](int thread) {
      const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
      absorb(i, begin, end, thread);
    });
    LatentAttentionAllHeads(&pool, ql.data(), q_pe, kv.f.data(), pe.f.data(), t, h, rank, dr, attrs->scale, mask_row,
                            last_visible, ol.data());
    pool.Run([&](int thread) {
      const auto [begin, end] = SplitRows(h, pool.size(), thread, 1);
      unabsorb(i, begin, end, thread);
    });
  }
  return std::vector<Tensor>{std::move(o)};
}

}  // namespace dsc::runtime
