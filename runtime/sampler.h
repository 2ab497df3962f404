// Token sampling from logits: greedy (temperature 0), or the official demo's exact categorical
// sample argmax(softmax(logits / T) / q) with q ~ Exp(1), after optional top-k / top-p
// filtering. Deterministic for a given seed.
#ifndef DSC_RUNTIME_SAMPLER_H_
#define DSC_RUNTIME_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace dsc::runtime {

struct SamplingParams {
  double temperature = 0.8;  // 0 = greedy
  int64_t top_k = 0;         // 0 = off
  double top_p = 1.0;        // 1 = off
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // Picks the next token from one row of logits. Greedy ties go to the lowest id.
  int32_t Sample(absl::Span<const float> logits);

 private:
  double NextUniform();  // in (0, 1)
  SamplingParams params_;
  uint64_t state_;
  std::vector<int32_t> order_;  // Sample's candidates and their weights, reused token to token
  std::vector<double> probs_;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_SAMPLER_H_
