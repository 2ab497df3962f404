// Generation loop: prefill each prompt, then step all live sequences until each stops.
#include "runtime/generator.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace dsc::runtime {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

absl::StatusOr<std::vector<std::vector<int32_t>>> Generate(ModelRunner& runner,
                                                           const std::vector<std::vector<int32_t>>& prompts,
                                                           const GenerationParams& params,
                                                           const TokenCallback& on_token, GenerationStats* stats) {
  struct Sequence {
    std::unique_ptr<SequenceState> state;
    int64_t position = 0;
    int32_t last = 0;
    bool live = true;
    Sampler sampler;
  };
  const int64_t vocab = runner.vocab_size();
  std::vector<std::vector<int32_t>> out(prompts.size());
  std::vector<Sequence> seqs;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) return absl::InvalidArgumentError(absl::StrCat("prompt ", i, " is empty"));
    if (static_cast<int64_t>(prompts[i].size()) + params.max_new_tokens > runner.context()) {
      return absl::OutOfRangeError(absl::StrCat("prompt ", i, " (", prompts[i].size(), " tokens) plus ",
                                                params.max_new_tokens, " new tokens exceeds the context of ",
                                                runner.context(), " tokens"));
    }
    SamplingParams sp = params.sampling;
    sp.seed += i;  // independent streams per sequence, reproducible
    Sequence s{runner.NewSequence(), 0, 0, params.max_new_tokens > 0, Sampler(sp)};
    absl::StatusOr<Tensor> logits = runner.Forward(s.state.get(), prompts[i], 0, ModelRunner::Rows::kLast);
    if (!logits.ok()) return logits.status();
    s.position = static_cast<int64_t>(prompts[i].size());
    if (s.live) {
      s.last = s.sampler.Sample(absl::MakeConstSpan(logits->f).subspan((logits->shape[0] - 1) * vocab, vocab));
      out[i].push_back(s.last);
      s.live = (on_token == nullptr || on_token(static_cast<int>(i), s.last)) && s.last != params.eos_id &&
               static_cast<int64_t>(out[i].size()) < params.max_new_tokens;
    }
    if (stats != nullptr) stats->prompt_tokens += s.position;
    seqs.push_back(std::move(s));
  }
  if (stats != nullptr) stats->prefill_seconds = Seconds(start);
  auto decode_start = std::chrono::steady_clock::now();
  // Each step decodes every live sequence together (one read of the weights for all of them).
  // The step's lists are reused, and each output has room for all its tokens: with one
  // sequence on an engine with an arena, a step allocates nothing.
  for (size_t i = 0; i < out.size(); ++i) out[i].reserve(static_cast<size_t>(std::max<int64_t>(params.max_new_tokens, 0)));
  std::vector<size_t> live;
  std::vector<SequenceState*> states;
  std::vector<int32_t> tokens;
  std::vector<int64_t> starts;
  for (;;) {
    live.clear();
    states.clear();
    tokens.clear();
    starts.clear();
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (!seqs[i].live) continue;
      live.push_back(i);
      states.push_back(seqs[i].state.get());
      tokens.push_back(seqs[i].last);
      starts.push_back(seqs[i].position++);
    }
    if (live.size() == 1) {  // the plain decode function (no batching bookkeeping)
      absl::StatusOr<const Tensor*> logits = runner.Decode(states[0], tokens[0], starts[0]);
      if (!logits.ok()) return logits.status();
      Sequence& s = seqs[live[0]];
      s.last = s.sampler.Sample((*logits)->f);
      out[live[0]].push_back(s.last);
      s.live = (on_token == nullptr || on_token(static_cast<int>(live[0]), s.last)) && s.last != params.eos_id &&
               static_cast<int64_t>(out[live[0]].size()) < params.max_new_tokens;
      continue;
    }
    if (live.empty()) break;
    absl::StatusOr<std::vector<Tensor>> logits = runner.DecodeBatch(states, tokens, starts);
    if (!logits.ok()) return logits.status();
    for (size_t j = 0; j < live.size(); ++j) {
      const size_t i = live[j];
      Sequence& s = seqs[i];
      s.last = s.sampler.Sample((*logits)[j].f);
      out[i].push_back(s.last);
      s.live = (on_token == nullptr || on_token(static_cast<int>(i), s.last)) && s.last != params.eos_id &&
               static_cast<int64_t>(out[i].size()) < params.max_new_tokens;
    }
  }
  if (stats != nullptr) {
    stats->decode_seconds = Seconds(decode_start);
    for (const auto& o : out) stats->generated_tokens += static_cast<int64_t>(o.size());
  }
  return out;
}

}  // namespace dsc::runtime
