// Reference feed-forward kernels: SwiGLU via Linear, the §9 gate with explicit tie rules, and
// the expert-major MoE combination.
#include "runtime/interp/kernels_moe.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "absl/strings/str_format.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/interp/kernels_softmax.h"

namespace dsc::runtime::ref {
namespace {

// Indices of the n largest of values[0, count), largest first; ties go to the lower index.
// Into `order` (whose storage is reused call after call).
void TopIndices(const float* values, int64_t count, int64_t n, std::vector<int64_t>* order) {
  order->resize(static_cast<size_t>(count));
  std::iota(order->begin(), order->end(), 0);
  std::partial_sort(order->begin(), order->begin() + n, order->end(), [&](int64_t a, int64_t b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  order->resize(static_cast<size_t>(n));
}

absl::Status CheckGateConfig(const MoeGateConfig& c) {
  if (c.n_experts <= 0 || c.n_groups <= 0 || c.n_experts % c.n_groups != 0 ||
      c.n_limited_groups <= 0 || c.n_limited_groups > c.n_groups || c.n_activated <= 0 ||
      c.n_activated > c.n_limited_groups * (c.n_experts / c.n_groups)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "MoeGate: inconsistent config: %d experts in %d groups, %d groups kept, %d activated",
        c.n_experts, c.n_groups, c.n_limited_groups, c.n_activated));
  }
  return absl::OkStatus();
}

}  // namespace

void SwiGluFfn(const float* x, int64_t rows, int64_t dim, const SwiGluWeights& w, float* y) {
  std::vector<float> gate(rows * w.hidden), up(rows * w.hidden);
  Linear(x, w.w1, rows, dim, w.hidden, gate.data());
  Linear(x, w.w3, rows, dim, w.hidden, up.data());
  SwiGlu(gate.data(), up.data(), rows * w.hidden, gate.data());
  Linear(gate.data(), w.w2, rows, w.hidden, dim, y);
}

absl::Status MoeGate(const float* logits, const float* bias, int64_t tokens,
                     const MoeGateConfig& config, int32_t* experts, float* weights) {
  if (absl::Status s = CheckGateConfig(config); !s.ok()) return s;
  const int64_t n = config.n_experts, k = config.n_activated;
  const int64_t group_size = n / config.n_groups;
  // Scratch that only grows: a decode loop allocates nothing after its first step.
  thread_local std::vector<float> scores, u, group_score;
  thread_local std::vector<int64_t> best, groups, chosen;
  thread_local std::vector<char> keep;
  scores.resize(n);
  u.resize(n);
  for (int64_t r = 0; r < tokens; ++r) {
    if (config.score_func == ScoreFunc::kSigmoid) {
      Sigmoid(logits + r * n, n, scores.data());
    } else {
      Softmax(logits + r * n, 1, n, scores.data());
    }
    for (int64_t e = 0; e < n; ++e) u[e] = bias ? scores[e] + bias[e] : scores[e];
    if (config.n_groups > 1) {
      group_score.resize(config.n_groups);
      for (int64_t g = 0; g < config.n_groups; ++g) {
        const float* members = u.data() + g * group_size;
        // With a bias: the sum of the two largest (one if the group has a single expert).
        const int64_t n_best = std::min<int64_t>(bias ? 2 : 1, group_size);
        TopIndices(members, group_size, n_best, &best);
        group_score[g] = n_best == 2 ? members[best[0]] + members[best[1]] : members[best[0]];
      }
      keep.assign(config.n_groups, 0);
      TopIndices(group_score.data(), config.n_groups, config.n_limited_groups, &groups);
      for (int64_t g : groups) keep[g] = 1;
      for (int64_t e = 0; e < n; ++e) {
        if (!keep[e / group_size]) u[e] = -std::numeric_limits<float>::infinity();
      }
    }
    TopIndices(u.data(), n, k, &chosen);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) {
      experts[r * k + i] = static_cast<int32_t>(chosen[i]);
      weights[r * k + i] = scores[chosen[i]];
      sum += scores[chosen[i]];
    }
    for (int64_t i = 0; i < k; ++i) {
      if (config.score_func == ScoreFunc::kSigmoid) weights[r * k + i] /= sum;
      weights[r * k + i] *= config.route_scale;
    }
  }
  return absl::OkStatus();
}

absl::Status MoeForward(const float* x, int64_t rows, int64_t dim, const int32_t* experts,
                        const float* weights, int64_t k, int64_t n_experts,
                        const ExpertWeightsFn& expert_weights, const SwiGluWeights* shared,
                        float* y) {
  // Group the (token, slot) pairs by expert so each expert runs once on its tokens.
  std::vector<std::vector<int64_t>> slots_of(n_experts);
  for (int64_t i = 0; i < rows * k; ++i) {
    if (experts[i] < 0 || experts[i] >= n_experts) {
      return absl::OutOfRangeError(absl::StrFormat(
          "MoeForward: expert id %d of token %d is outside [0, %d)", experts[i], i / k, n_experts));
    }
    slots_of[experts[i]].push_back(i);
  }
  std::fill(y, y + rows * dim, 0.0f);
  std::vector<float> xe, ye;
  for (int64_t e = 0; e < n_experts; ++e) {
    const std::vector<int64_t>& slots = slots_of[e];
    if (slots.empty()) continue;
    absl::StatusOr<SwiGluWeights> w = expert_weights(e);
    if (!w.ok()) return w.status();
    const int64_t m = static_cast<int64_t>(slots.size());
    xe.resize(m * dim);
    ye.resize(m * dim);
    for (int64_t i = 0; i < m; ++i) std::copy_n(x + (slots[i] / k) * dim, dim, &xe[i * dim]);
    SwiGluFfn(xe.data(), m, dim, *w, ye.data());
    for (int64_t i = 0; i < m; ++i) {
      float* yr = y + (slots[i] / k) * dim;
      for (int64_t j = 0; j < dim; ++j) yr[j] += ye[i * dim + j] * weights[slots[i]];
    }
  }
  if (shared != nullptr) {
    ye.resize(rows * dim);
    SwiGluFfn(x, rows, dim, *shared, ye.data());
    Add(y, ye.data(), rows * dim, y);
  }
  return absl::OkStatus();
}

}  // namespace dsc::runtime::ref
