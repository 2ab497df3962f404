// Interpreter: the DeepSeek V3.2 building blocks (model.md §5-§9), written as plainly as the
// spec states them.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "numerics/act_quant.h"
#include "numerics/exp.h"
#include "numerics/hadamard.h"
#include "numerics/rope.h"
#include "numerics/scalar_formats.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/kernels_indexer.h"
#include "runtime/interp/kernels_moe.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

numerics::ActScaleFormat ScaleFormat(const ir::Operation& op) {
  return ir::GetString(op.attrs(), "scale_fmt") == "ue8m0" ? numerics::ActScaleFormat::kUe8m0
                                                          : numerics::ActScaleFormat::kPlain;
}

absl::StatusOr<int64_t> DimAttr(const EvalArgs& a, const char* name) {
  return ir::GetDim(a.op.attrs(), name).Evaluate(a.symbols);
}

// Result 0 holding a copy of operand 0's elements (ops that transform their input in place).
Tensor CopyOfInput(const EvalArgs& a, ir::DType dtype) {
  Tensor y = a.NewFloat(0, dtype);
  std::copy(a.in[0]->f.begin(), a.in[0]->f.end(), y.f.begin());
  return y;
}

EvalResult RopeFreqs(const EvalArgs& a) {
  const auto& at = a.op.attrs();
  absl::StatusOr<std::vector<float>> f = numerics::YarnFrequencies(
      ir::GetInt(at, "dim"), ir::GetFloat(at, "theta"), ir::GetFloat(at, "factor"), ir::GetInt(at, "original_seq_len"),
      ir::GetFloat(at, "beta_fast"), ir::GetFloat(at, "beta_slow"), ir::GetInt(at, "max_seq_len"));
  if (!f.ok()) return f.status();
  Tensor y = Tensor::Float({static_cast<int64_t>(f->size())});
  y.f = std::move(*f);
  return Results(std::move(y));
}

// x[S, ..., d]: every d-vector of row s rotated at position pos[s].
EvalResult Rotary(const EvalArgs& a) {
  Tensor y = CopyOfInput(a, ir::DType::kF32);
  const Tensor& pos = *a.in[2];
  int64_t s = y.shape[0], d = y.shape.back();
  int64_t per_row = s == 0 ? 0 : y.numel() / s;
  bool interleaved = ir::GetBool(a.op.attrs(), "interleaved");
  // cos/sin once per row for all its heads (the same values numerics::ApplyRope computes per
  // call: per head they were most of a prefill's rotary time).
  thread_local std::vector<float> cos_values, sin_values;
  cos_values.resize(d / 2);
  sin_values.resize(d / 2);
  for (int64_t r = 0; r < s; ++r) {
    numerics::RopeCosSin(pos.i[r], a.in[1]->f.data(), d / 2, cos_values.data(), sin_values.data());
    for (int64_t v = 0; v < per_row; v += d) {
      numerics::ApplyRopeWithCosSin(y.f.data() + r * per_row + v, d, cos_values.data(), sin_values.data(),
                                    interleaved);
    }
  }
  return Results(std::move(y));
}

EvalResult Hadamard(const EvalArgs& a) {
  Tensor y = CopyOfInput(a, a.in[0]->dtype);
  int64_t d = y.shape.back();
  for (int64_t v = 0; v < y.numel(); v += d) {
    absl::Status st = numerics::HadamardTransform(y.f.data() + v, d);
    if (!st.ok()) return st;
  }
  return Results(std::move(y));
}

EvalResult Fp8RoundTrip(const EvalArgs& a) {
  Tensor y = CopyOfInput(a, a.in[0]->dtype);
  absl::Status st = numerics::ActQuantRoundTrip(y.f.data(), y.numel(), ir::GetInt(a.op.attrs(), "block"), ScaleFormat(a.op));
  if (!st.ok()) return st;
  return Results(std::move(y));
}

// Codes are held as their exact E4M3 values (the interpreter stores floats).
EvalResult Fp8Quantize(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  int64_t block = ir::GetInt(a.op.attrs(), "block");
  thread_local std::vector<uint8_t> codes;
  codes.resize(static_cast<size_t>(x.numel()));
  Tensor values = a.NewFloat(0, ir::DType::kF8E4M3);
  Tensor scales = a.NewFloat(1);
  absl::Status st = numerics::ActQuant(x.f.data(), x.numel(), block, ScaleFormat(a.op), codes.data(), scales.f.data());
  if (!st.ok()) return st;
  for (size_t j = 0; j < codes.size(); ++j) values.f[j] = numerics::DecodeE4m3(codes[j]);
  return Results(std::move(values), std::move(scales));
}

// model.md §8.6: I[s,t] = s_k[t] · Σ_h w[s,h] · scale · relu(q[s,h] · k8[t]), causal: t ≤ start+s.
EvalResult IndexerScore(const EvalArgs& a) {
  if (a.fast != nullptr) {
    EvalResult fast = FastIndexerScore(a);
    if (fast.ok() || fast.status().code() != absl::StatusCode::kUnimplemented) return fast;
  }
  const Tensor& q = *a.in[0];
  const Tensor& w = *a.in[1];
  const Tensor& k = *a.in[2];
  const Tensor* ks = a.in.size() == 4 ? a.in[3] : nullptr;
  int64_t s = q.shape[0], h = q.shape[1], d = q.shape[2], t = k.shape[0];
  float scale = static_cast<float>(ir::GetFloat(a.op.attrs(), "scale"));
  bool causal = ir::GetBool(a.op.attrs(), "causal");
  absl::StatusOr<int64_t> start = DimAttr(a, "start");
  if (!start.ok()) return start.status();
  Tensor y = a.NewFloat(0);  // [s, t]
  // Every score is the same sequence of float32 operations as the one-key loop (each dot summed
  // in increasing c, heads in increasing order): only kKeys keys are interleaved, so their
  // independent dependency chains overlap instead of waiting on one add at a time.
  constexpr int64_t kKeys = 8;
  for (int64_t i = 0; i < s; ++i) {
    const int64_t visible = causal ? std::min(t, std::max<int64_t>(0, *start + i + 1)) : t;
    for (int64_t j = visible; j < t; ++j) y.f[i * t + j] = kNegInf;
    for (int64_t j0 = 0; j0 < visible; j0 += kKeys) {
      const int64_t n = std::min(kKeys, visible - j0);
      float acc[kKeys] = {};
      for (int64_t hh = 0; hh < h; ++hh) {
        const float* qv = q.f.data() + (i * h + hh) * d;
        float dot[kKeys] = {};
        for (int64_t c = 0; c < d; ++c) {
          for (int64_t l = 0; l < n; ++l) dot[l] += qv[c] * k.f[(j0 + l) * d + c];
        }
        for (int64_t l = 0; l < n; ++l) acc[l] += std::max(dot[l], 0.0f) * w.f[i * h + hh] * scale;
      }
      for (int64_t l = 0; l < n; ++l) y.f[i * t + j0 + l] = ks != nullptr ? acc[l] * ks->f[j0 + l] : acc[l];
    }
  }
  return Results(std::move(y));
}

// 0 on the min(k, T) largest scores of each row, -inf elsewhere (§7.6, §8.8): ref::TopkMask, or
// the fast engine's compiled kernel (the same set: both follow one strict total order), its rows
// split over the engine's threads when a prefill makes that worth waking them.
EvalResult SparseTopkMask(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  int64_t s = x.shape[0], t = x.shape[1];
  int64_t k = std::min(ir::GetInt(a.op.attrs(), "k"), t);
  Tensor y = a.NewFloat(0);  // [s, t]
  if (k == t) return Results(std::move(y));  // every position kept: all zeros
  const dsc_topk_mask_fn compiled = a.fast != nullptr ? a.fast->TopkMask() : nullptr;
  if (compiled == nullptr) {
    ref::TopkMask(x.f.data(), s, t, k, y.f.data());
    return Results(std::move(y));
  }
  auto select_rows = [&](int64_t begin, int64_t end) {
    const dsc_topk_mask_args args = {x.f.data() + begin * t, y.f.data() + begin * t, end - begin, t,
                                     k};
    if (end > begin) compiled(&args);
  };
  ThreadPool* pool = a.fast->pool();
  if (pool == nullptr || pool->size() < 2 || s * t < (int64_t{1} << 16)) {
    select_rows(0, s);
  } else {
    pool->Run([&](int thread) {
      const auto [begin, end] = SplitRows(s, pool->size(), thread, 1);
      select_rows(begin, end);
    });
  }
  return Results(std::move(y));
}

// o[s,h] = Σ_t softmax_t(scale·q[s,h]·k[t,h] + mask[s,t], causal t ≤ start+s) · v[t,h].
EvalResult Attention(const EvalArgs& a) {
  if (a.fast != nullptr) {
    EvalResult fast = FastAttention(a);
    if (fast.ok() || fast.status().code() != absl::StatusCode::kUnimplemented) return fast;
  }
  const Tensor& q = *a.in[0];
  const Tensor& k = *a.in[1];
  const Tensor& v = *a.in[2];
  const Tensor* mask = a.in.size() == 4 ? a.in[3] : nullptr;
  int64_t s = q.shape[0], h = q.shape[1], d = q.shape[2], t = k.shape[0], dv = v.shape[2];
  float scale = static_cast<float>(ir::GetFloat(a.op.attrs(), "scale"));
  bool causal = ir::GetBool(a.op.attrs(), "causal");
  absl::StatusOr<int64_t> start = DimAttr(a, "start");
  if (!start.ok()) return start.status();
  Tensor o = a.NewFloat(0);  // [s, h, dv]
  std::vector<float> z(t);
  for (int64_t i = 0; i < s; ++i) {
    for (int64_t hh = 0; hh < h; ++hh) {
      const float* qv = q.f.data() + (i * h + hh) * d;
      float zmax = kNegInf;
      for (int64_t j = 0; j < t; ++j) {
        float dot = 0.0f;
        const float* kv = k.f.data() + (j * h + hh) * d;
        for (int64_t c = 0; c < d; ++c) dot += qv[c] * kv[c];
        z[j] = scale * dot + (mask != nullptr ? mask->f[i * t + j] : 0.0f);
        if (causal && j > *start + i) z[j] = kNegInf;
        zmax = std::max(zmax, z[j]);
      }
      numerics::ExpShiftedInPlace(z.data(), t, zmax);
      float sum = 0.0f;
      for (int64_t j = 0; j < t; ++j) sum += z[j];
      float* ov = o.f.data() + (i * h + hh) * dv;
      for (int64_t j = 0; j < t; ++j) {
        float p = z[j] / sum;
        if (p == 0.0f) continue;
        const float* vv = v.f.data() + (j * h + hh) * dv;
        for (int64_t c = 0; c < dv; ++c) ov[c] += p * vv[c];
      }
    }
  }
  return Results(std::move(o));
}

EvalResult MoeGate(const EvalArgs& a) {
  const Tensor& logits = *a.in[0];
  const auto& at = a.op.attrs();
  ref::MoeGateConfig config;
  config.n_experts = logits.shape[1];
  config.n_groups = ir::GetInt(at, "n_groups");
  config.n_limited_groups = ir::GetInt(at, "n_limited_groups");
  config.n_activated = ir::GetInt(at, "top_k");
  config.route_scale = static_cast<float>(ir::GetFloat(at, "route_scale"));
  config.score_func = ir::GetString(at, "score_func") == "softmax" ? ref::ScoreFunc::kSoftmax : ref::ScoreFunc::kSigmoid;
  Tensor weights = a.NewFloat(0);
  Tensor experts = a.NewInt(1, ir::DType::kI32);
  thread_local std::vector<int32_t> ids;
  ids.resize(experts.i.size());
  absl::Status st = ref::MoeGate(logits.f.data(), a.in.size() == 2 ? a.in[1]->f.data() : nullptr, logits.shape[0],
                                 config, ids.data(), weights.f.data());
  if (!st.ok()) return st;
  std::copy(ids.begin(), ids.end(), experts.i.begin());
  return Results(std::move(weights), std::move(experts));
}

}  // namespace

EvalResult EvalModelOp(const EvalArgs& a) {
  switch (a.op.code()) {
    case OpCode::kRopeFreqs: return RopeFreqs(a);
    case OpCode::kRotary: return Rotary(a);
    case OpCode::kHadamard: return Hadamard(a);
    case OpCode::kFp8RoundTrip: return Fp8RoundTrip(a);
    case OpCode::kFp8Quantize: return Fp8Quantize(a);
    case OpCode::kIndexerScore: return IndexerScore(a);
    case OpCode::kSparseTopkMask: return SparseTopkMask(a);
    case OpCode::kAttention: return Attention(a);
    case OpCode::kMoeGate: return MoeGate(a);
    default: return absl::UnimplementedError("not a model op");
  }
}

}  // namespace dsc::runtime
