// Chunk dispatch onto the prefill / decode functions of a module.
#include "runtime/model_runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dsc::runtime {

ModelRunner::ModelRunner(Interpreter* engine) : engine_(engine) {
  for (const auto& s : engine->module().states()) {
    context_ = context_ == 0 ? s->type().shape().dim(0).offset() : std::min(context_, s->type().shape().dim(0).offset());
  }
  if (const ir::Function* f = engine->module().FindFunction("decode")) {
    const auto results = f->ResultTypes();
    if (!results.empty()) vocab_ = results[0].shape().at(-1).offset();
  }
}

absl::StatusOr<Tensor> ModelRunner::Forward(SequenceState* state, absl::Span<const int32_t> tokens, int64_t start) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return absl::InvalidArgumentError("no tokens to feed");
  if (start < 0 || start + n > context_) {
    return absl::OutOfRangeError(absl::StrCat("context overflow: tokens [", start, ", ", start + n,
                                              ") exceed the context of ", context_, " tokens"));
  }
  Tensor ids = Tensor::Int({n}, ir::DType::kI32);
  std::copy(tokens.begin(), tokens.end(), ids.i.begin());
  std::vector<Tensor> args;
  args.push_back(std::move(ids));
  absl::StatusOr<std::vector<Tensor>> out =
      n == 1 ? engine_->Run("decode", {{"P", start}}, std::move(args), state)
             : engine_->Run("prefill", {{"S", n}, {"P", start}}, std::move(args), state);
  if (!out.ok()) return out.status();
  return std::move((*out)[0]);
}

absl::StatusOr<Tensor> LogitsInChunks(ModelRunner& runner, absl::Span<const int32_t> tokens, int64_t chunk) {
  if (chunk <= 0) return absl::InvalidArgumentError("chunk size must be positive");
  std::unique_ptr<SequenceState> state = runner.NewSequence();
  const int64_t n = static_cast<int64_t>(tokens.size());
  Tensor all = Tensor::Float({n, runner.vocab_size()});
  for (int64_t start = 0; start < n; start += chunk) {
    int64_t len = std::min(chunk, n - start);
    absl::StatusOr<Tensor> logits = runner.Forward(state.get(), tokens.subspan(start, len), start);
    if (!logits.ok()) return logits.status();
    std::copy(logits->f.begin(), logits->f.end(), all.f.begin() + start * runner.vocab_size());
  }
  return all;
}

}  // namespace dsc::runtime
