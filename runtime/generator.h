// Autoregressive generation over a ModelRunner: one prefill of the prompt, then one decode step
// per token, for one sequence or a batch of independent sequences stepped together.
#ifndef DSC_RUNTIME_GENERATOR_H_
#define DSC_RUNTIME_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model_runner.h"
#include "runtime/sampler.h"

namespace dsc::runtime {

struct GenerationParams {
  SamplingParams sampling;
  int64_t max_new_tokens = 128;
  int32_t eos_id = -1;  // stop after emitting it (-1: never)
};

struct GenerationStats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prefill_seconds = 0;  // time to first token
  double decode_seconds = 0;
};

// Called after each generated token of sequence `index`; return false to stop that sequence
// (e.g. a stop string appeared).
using TokenCallback = std::function<bool(int index, int32_t token)>;

// Generates for every prompt; result[i] holds the tokens generated for prompts[i]. Sequences
// advance in lock step (one decode step for all live sequences per iteration).
absl::StatusOr<std::vector<std::vector<int32_t>>> Generate(ModelRunner& runner,
                                                           const std::vector<std::vector<int32_t>>& prompts,
                                                           const GenerationParams& params,
                                                           const TokenCallback& on_token, GenerationStats* stats);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_GENERATOR_H_
