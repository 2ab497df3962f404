// Interpreter: the ops only passes produce (ir/ops_fused.cc). Each is evaluated as the exact
// composition of the generic ops it replaces — same kernels, same summation order — so an
// optimized module gives the same numbers as the declared one (up to the absorbed MLA form,
// which model.md §7 defines as algebraically equal and ~1e-6 apart).
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/ffn.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/interp/kernels_norm.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

// Matrix `index` of a weight [..., N, K] as float32: dequantized, or copied from a float tensor.
absl::StatusOr<std::vector<float>> Matrix(const Tensor& w, int64_t index) {
  if (w.quantized) return DequantizeMatrix(w, index);
  int64_t per = w.shape[w.shape.size() - 2] * w.shape.back();
  return std::vector<float>(w.f.begin() + index * per, w.f.begin() + (index + 1) * per);
}

absl::Status CheckExperts(const Tensor& experts, int64_t n_experts) {
  for (int64_t e : experts.i) {
    if (e < 0 || e >= n_experts) {
      return absl::OutOfRangeError(absl::StrCat("expert id ", e, " is outside [0, ", n_experts, ")"));
    }
  }
  return absl::OkStatus();
}

EvalResult Literal(const EvalArgs& a) {
  const auto& values = std::get<std::vector<double>>(a.op.attrs().at("values"));
  ir::DType dtype = ir::GetDType(a.op.attrs(), "dtype");
  Tensor y = dtype == ir::DType::kF32 ? a.NewFloat(0) : a.NewInt(0, dtype);
  for (size_t j = 0; j < values.size(); ++j) {
    if (y.is_int()) y.i[j] = static_cast<int64_t>(values[j]);
    else y.f[j] = static_cast<float>(values[j]);
  }
  return Results(std::move(y));
}

// (rms_norm(x + residual), x + residual).
EvalResult AddRmsNorm(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  Tensor sum = a.NewFloat(1);
  int64_t dim = x.shape.back(), rows = dim == 0 ? 0 : x.numel() / dim;
  Tensor y = a.NewFloat(0);
  const float eps = static_cast<float>(ir::GetFloat(a.op.attrs(), "eps"));
  if (a.fast != nullptr &&
      a.fast->RmsNorm(x.f.data(), a.in[1]->f.data(), sum.f.data(), a.in[2]->f.data(), rows, dim, eps, y.f.data())) {
    return Results(std::move(y), std::move(sum));
  }
  for (size_t j = 0; j < sum.f.size(); ++j) sum.f[j] = x.f[j] + a.in[1]->f[j];
  ref::RmsNorm(sum.f.data(), a.in[2]->f.data(), rows, dim, eps, y.f.data());
  return Results(std::move(y), std::move(sum));
}

EvalResult GateUpSwiglu(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  int64_t k = x.shape.back(), m = k == 0 ? 0 : x.numel() / k, n = a.in[1]->shape[0];
  Tensor y = a.NewFloat(0);
  thread_local std::vector<float> up;
  up.resize(m * n);
  if (absl::Status s = LinearWithMatrix(*a.in[1], 0, x.f.data(), m, y.f.data(), a.fast); !s.ok()) return s;
  if (absl::Status s = LinearWithMatrix(*a.in[2], 0, x.f.data(), m, up.data(), a.fast); !s.ok()) return s;
  SwiGluWith(a.fast != nullptr ? a.fast->SwiGlu() : nullptr, y.f.data(), up.data(), m * n, y.f.data());
  return Results(std::move(y));
}

// model.md §7b over the cached latent: q̃ = W_UKᵀ q_nope; z_t = scale·(q̃·KV[t] + q_pe·PE[t]) +
// mask (causal: t <= start + s); ō = Σ_t softmax(z)_t KV[t]; o = W_UV ō.
EvalResult MlaDecodeAttention(const EvalArgs& a) {
  if (a.fast != nullptr) {
    EvalResult fast = FastMlaDecodeAttention(a);
    if (fast.ok() || fast.status().code() != absl::StatusCode::kUnimplemented) return fast;
  }
  const Tensor& qn = *a.in[0];
  const Tensor& qp = *a.in[1];
  const Tensor& kv = *a.in[2];
  const Tensor& pe = *a.in[3];
  const Tensor* mask = a.in.size() == 6 ? a.in[5] : nullptr;
  absl::StatusOr<std::vector<float>> w = Matrix(*a.in[4], 0);
  if (!w.ok()) return w.status();
  absl::StatusOr<MlaDecodeAttrs> attrs = MlaDecodeAttrsOf(a);
  if (!attrs.ok()) return attrs.status();
  const int64_t s = qn.shape[0], h = qn.shape[1], dn = qn.shape[2], dr = qp.shape[2];
  const int64_t t = kv.shape[0], rank = kv.shape[1], dv = a.result_shapes[0][2], rows = dn + dv;
  Tensor o = a.NewFloat(0);
  std::vector<float> ql(rank), ol(rank), z(t);
  for (int64_t i = 0; i < s; ++i) {
    for (int64_t hh = 0; hh < h; ++hh) {
      const float* q_nope = qn.f.data() + (i * h + hh) * dn;
      const float* q_pe = qp.f.data() + (i * h + hh) * dr;
      std::fill(ql.begin(), ql.end(), 0.0f);
      for (int64_t j = 0; j < dn; ++j) {
        const float* w_uk = w->data() + (hh * rows + j) * rank;
        for (int64_t c = 0; c < rank; ++c) ql[c] += q_nope[j] * w_uk[c];
      }
      ref::MlaLatentAttentionRow(ql.data(), q_pe, kv.f.data(), pe.f.data(), t, rank, dr, attrs->scale,
                                 mask != nullptr ? mask->f.data() + i * t : nullptr,
                                 attrs->causal ? attrs->start + i : -1, z.data(), ol.data());
      for (int64_t j = 0; j < dv; ++j) {
        const float* w_uv = w->data() + (hh * rows + dn + j) * rank;
        float sum = 0.0f;
        for (int64_t c = 0; c < rank; ++c) sum += w_uv[c] * ol[c];
        o.f[(i * h + hh) * dv + j] = sum;
      }
    }
  }
  return Results(std::move(o));
}

// Decode form: for each token, only its selected experts run (in increasing id, accumulated
// with the routing weight in float32), then the shared expert is added in the same sweep.
// Several rows (a batch of sequences' decode steps) run expert by expert over the rows that
// selected it, so an expert's weights are read once for all of them; each row still adds its
// experts in increasing id, as alone.
EvalResult MoeDecode(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  const Tensor& weights = *a.in[1];
  const Tensor& experts = *a.in[2];
  const int64_t rows = x.shape[0], dim = x.shape[1], k = weights.shape[1];
  const int64_t n_experts = a.in[3]->shape[0];
  if (absl::Status st = CheckExperts(experts, n_experts); !st.ok()) return st;
  // The (row·k + j) slots routed to each expert, counting-sorted by expert (increasing slot
  // within one): expert e's are order[begin[e], begin[e + 1]). Scratch that only grows, so a
  // decode loop allocates nothing after its first steps.
  thread_local std::vector<int64_t> begin, fill, order;
  thread_local std::vector<FfnJob> jobs;
  thread_local std::vector<float> scratch;
  begin.assign(n_experts + 1, 0);
  order.resize(rows * k);
  for (int64_t slot = 0; slot < rows * k; ++slot) ++begin[experts.i[slot] + 1];
  for (int64_t e = 0; e < n_experts; ++e) begin[e + 1] += begin[e];
  fill.assign(begin.begin(), begin.end() - 1);
  for (int64_t slot = 0; slot < rows * k; ++slot) order[fill[experts.i[slot]]++] = slot;
  // Every unit's input rows and output: the routed experts in increasing id, then the shared
  // one. Gathered inputs (experts with several rows) and all outputs share one scratch.
  const bool shared = a.in.size() == 9;
  int64_t scratch_floats = shared ? rows * dim : 0;
  for (int64_t e = 0; e < n_experts; ++e) {
    const int64_t m = begin[e + 1] - begin[e];
    scratch_floats += m * dim * (m > 1 ? 2 : 1);
  }
  if (scratch.size() < static_cast<size_t>(scratch_floats)) scratch.resize(scratch_floats);
  float* next = scratch.data();
  jobs.clear();
  for (int64_t e = 0; e < n_experts; ++e) {
    const int64_t* slots = order.data() + begin[e];
    const int64_t m = begin[e + 1] - begin[e];
    if (m == 0) continue;
    if (m == 1) {  // one row (every expert of a single decode token): its input is x's row itself
      jobs.push_back({FfnOf(*a.in[3], *a.in[4], *a.in[5], e, a.fast), x.f.data() + (slots[0] / k) * dim, 1, nullptr});
      continue;
    }
    float* xe = next;
    next += m * dim;
    for (int64_t p = 0; p < m; ++p) std::copy_n(x.f.begin() + (slots[p] / k) * dim, dim, xe + p * dim);
    jobs.push_back({FfnOf(*a.in[3], *a.in[4], *a.in[5], e, a.fast), xe, m, nullptr});
  }
  if (shared) jobs.push_back({FfnOf(*a.in[6], *a.in[7], *a.in[8], 0, a.fast), x.f.data(), rows, nullptr});
  for (FfnJob& j : jobs) {
    j.y = next;
    next += j.m * dim;
  }
  if (!RunFfnsOnPool(jobs, dim)) {
    for (FfnJob& j : jobs) {
      absl::StatusOr<std::vector<float>> y = RunFfn(j.ffn, j.x, j.m, dim);
      if (!y.ok()) return y.status();
      std::copy(y->begin(), y->end(), j.y);
    }
  }
  Tensor acc = a.NewFloat(0);  // [rows, dim]
  size_t job = 0;
  for (int64_t e = 0; e < n_experts; ++e) {
    const int64_t* slots = order.data() + begin[e];
    const int64_t m = begin[e + 1] - begin[e];
    if (m == 0) continue;
    const float* y = jobs[job++].y;
    for (int64_t p = 0; p < m; ++p) {
      float* dst = acc.f.data() + (slots[p] / k) * dim;
      for (int64_t c = 0; c < dim; ++c) dst[c] += y[p * dim + c] * weights.f[slots[p]];
    }
  }
  if (shared) ref::Add(acc.f.data(), jobs.back().y, rows * dim, acc.f.data());
  return Results(std::move(acc));
}

// Prefill form: (token, slot) pairs counting-sorted by expert, each expert one GEMM over its
// contiguous block of gathered rows, results scattered back with the routing weight.
EvalResult MoeGrouped(const EvalArgs& a) {
  const Tensor& x = *a.in[0];
  const Tensor& weights = *a.in[1];
  const Tensor& experts = *a.in[2];
  const int64_t dim = x.shape[1], k = weights.shape[1], pairs = experts.numel();
  const int64_t n_experts = a.in[3]->shape[0];
  if (absl::Status st = CheckExperts(experts, n_experts); !st.ok()) return st;
  std::vector<int64_t> begin(n_experts + 1, 0), order(pairs);
  for (int64_t e : experts.i) ++begin[e + 1];
  for (int64_t e = 0; e < n_experts; ++e) begin[e + 1] += begin[e];
  std::vector<int64_t> fill(begin.begin(), begin.end() - 1);
  for (int64_t p = 0; p < pairs; ++p) order[fill[experts.i[p]]++] = p;
  std::vector<float> xs(pairs * dim);
  for (int64_t p = 0; p < pairs; ++p) std::copy_n(x.f.begin() + (order[p] / k) * dim, dim, xs.begin() + p * dim);
  Tensor acc = a.NewFloat(0);  // [rows, dim]
  for (int64_t e = 0; e < n_experts; ++e) {
    const int64_t m = begin[e + 1] - begin[e];
    if (m == 0) continue;
    absl::StatusOr<Ffn> f = FfnOf(*a.in[3], *a.in[4], *a.in[5], e, a.fast);
    if (!f.ok()) return f.status();
    absl::StatusOr<std::vector<float>> ys = RunFfn(*f, xs.data() + begin[e] * dim, m, dim);
    if (!ys.ok()) return ys.status();
    const std::vector<float>& y = *ys;
    for (int64_t p = 0; p < m; ++p) {
      const int64_t pair = order[begin[e] + p];
      float* dst = acc.f.data() + (pair / k) * dim;
      for (int64_t c = 0; c < dim; ++c) dst[c] += y[p * dim + c] * weights.f[pair];
    }
  }
  return Results(std::move(acc));
}

}  // namespace

absl::StatusOr<MlaDecodeAttrs> MlaDecodeAttrsOf(const EvalArgs& a) {
  MlaDecodeAttrs attrs;
  attrs.scale = static_cast<float>(ir::GetFloat(a.op.attrs(), "scale"));
  attrs.causal = ir::GetBool(a.op.attrs(), "causal");
  absl::StatusOr<int64_t> start = ir::GetDim(a.op.attrs(), "start").Evaluate(a.symbols);
  if (!start.ok()) return start.status();
  attrs.start = *start;
  return attrs;
}

EvalResult EvalFusedOp(const EvalArgs& a) {
  switch (a.op.code()) {
    case OpCode::kLiteral: return Literal(a);
    case OpCode::kAddRmsNorm: return AddRmsNorm(a);
    case OpCode::kGateUpSwiglu: return GateUpSwiglu(a);
    case OpCode::kMlaDecodeAttention: return MlaDecodeAttention(a);
    case OpCode::kMoeDecode: return MoeDecode(a);
    case OpCode::kMoeGrouped: return MoeGrouped(a);
    default: return absl::UnimplementedError("not a fused op");
  }
}

}  // namespace dsc::runtime
