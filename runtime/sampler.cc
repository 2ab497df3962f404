// Sampler implementation (splitmix64 stream; exponential race = exact categorical sample).
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace dsc::runtime {

Sampler::Sampler(const SamplingParams& params) : params_(params), state_(params.seed * 0x9E3779B97F4A7C15ull + 1) {}

double Sampler::NextUniform() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (static_cast<double>(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::Sample(absl::Span<const float> logits) {
  const int64_t n = static_cast<int64_t>(logits.size());
  if (params_.temperature <= 0.0) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  // Candidates sorted by logit (descending, ties by id), cut by top-k and top-p.
  std::vector<int32_t>& order = order_;  // reused: sampling a token allocates nothing
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  int64_t keep = params_.top_k > 0 ? std::min(params_.top_k, n) : n;
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), by_logit);
  order.resize(keep);
  const double t = std::max(params_.temperature, 1e-5);
  const double max_logit = logits[order[0]];
  std::vector<double>& probs = probs_;
  probs.resize(keep);
  double sum = 0;
  for (int64_t i = 0; i < keep; ++i) sum += probs[i] = std::exp((logits[order[i]] - max_logit) / t);
  if (params_.top_p < 1.0) {
    double cumulative = 0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      cumulative += probs[i] / sum;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    order.resize(cut);
    probs.resize(cut);
  }
  // argmax(p / q), q ~ Exp(1): an exact sample from the (renormalized) distribution.
  int32_t best = order[0];
  double best_score = -1;
  for (size_t i = 0; i < order.size(); ++i) {
    double q = -std::log(NextUniform());
    double score = probs[i] / q;
    if (score > best_score) {
      best_score = score;
      best = order[i];
    }
  }
  return best;
}

}  // namespace dsc::runtime
