// Chunk dispatch onto the prefill / decode functions of a module.
#include "runtime/model_runner.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace dsc::runtime {

ModelRunner::ModelRunner(Interpreter* engine) : engine_(engine) {
  for (const auto& s : engine->module().states()) {
    context_ = context_ == 0 ? s->type().shape().dim(0).offset() : std::min(context_, s->type().shape().dim(0).offset());
  }
  has_prefill_last_ = engine->module().FindFunction("prefill_last") != nullptr;
  if (const ir::Function* f = engine->module().FindFunction("decode")) {
    const auto results = f->ResultTypes();
    if (!results.empty()) vocab_ = results[0].shape().at(-1).offset();
  }
}

absl::StatusOr<Tensor> ModelRunner::Forward(SequenceState* state, absl::Span<const int32_t> tokens, int64_t start,
                                            Rows rows) {
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
  const bool last_only = rows == Rows::kLast && n > 1 && has_prefill_last_;
  if (last_only) {
    Tensor last = Tensor::Int({1}, ir::DType::kI32);
    last.i[0] = static_cast<int32_t>(n - 1);
    args.push_back(std::move(last));
  }
  absl::StatusOr<std::vector<Tensor>> out =
      n == 1      ? engine_->Run("decode", {{"P", start}}, std::move(args), state)
      : last_only ? engine_->Run("prefill_last", {{"S", n}, {"P", start}}, std::move(args), state)
                  : engine_->Run("prefill", {{"S", n}, {"P", start}}, std::move(args), state);
  if (!out.ok()) return out.status();
  if (absl::Status st = CheckFinite((*out)[0], last_only ? tokens.subspan(n - 1) : tokens,
                                    last_only ? start + n - 1 : start);
      !st.ok()) {
    return st;
  }
  if (rows == Rows::kLast && !last_only && n > 1) {  // a module without prefill_last
    Tensor& all = (*out)[0];
    Tensor row = Tensor::Float({1, vocab_});
    std::copy(all.f.end() - vocab_, all.f.end(), row.f.begin());
    return row;
  }
  return std::move((*out)[0]);
}

absl::StatusOr<const Tensor*> ModelRunner::Decode(SequenceState* state, int32_t token, int64_t position) {
  if (position < 0 || position + 1 > context_) {
    return absl::OutOfRangeError(absl::StrCat("context overflow: position ", position, " exceeds the context of ",
                                              context_, " tokens"));
  }
  if (decode_args_.empty()) decode_args_.push_back(Tensor::Int({1}, ir::DType::kI32));
  decode_args_[0].i[0] = token;
  decode_symbols_["P"] = position;
  if (absl::Status st = engine_->RunInto("decode", decode_symbols_, decode_args_, state, &decode_out_); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckFinite(decode_out_[0], absl::MakeConstSpan(&token, 1), position); !st.ok()) return st;
  return &decode_out_[0];
}

absl::StatusOr<std::vector<Tensor>> ModelRunner::DecodeBatch(const std::vector<SequenceState*>& states,
                                                             absl::Span<const int32_t> tokens,
                                                             absl::Span<const int64_t> starts) {
  const size_t n = states.size();
  if (tokens.size() != n || starts.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat("DecodeBatch: ", n, " sequences, ", tokens.size(), " tokens, ",
                                                   starts.size(), " positions"));
  }
  std::vector<ir::SymbolBindings> symbols;
  std::vector<std::vector<Tensor>> args(n);
  for (size_t b = 0; b < n; ++b) {
    if (starts[b] < 0 || starts[b] + 1 > context_) {
      return absl::OutOfRangeError(absl::StrCat("context overflow: sequence ", b, " position ", starts[b],
                                                " exceeds the context of ", context_, " tokens"));
    }
    symbols.push_back({{"P", starts[b]}});
    Tensor id = Tensor::Int({1}, ir::DType::kI32);
    id.i[0] = tokens[b];
    args[b].push_back(std::move(id));
  }
  absl::StatusOr<std::vector<std::vector<Tensor>>> out = engine_->RunBatch("decode", symbols, std::move(args), states);
  if (!out.ok()) return out.status();
  std::vector<Tensor> logits;
  for (size_t b = 0; b < n; ++b) {
    if (absl::Status st = CheckFinite((*out)[b][0], tokens.subspan(b, 1), starts[b]); !st.ok()) return st;
    logits.push_back(std::move((*out)[b][0]));
  }
  return logits;
}

// NaN/Inf logits would sample as an arbitrary token (every comparison is false), so garbage
// text would look like an answer: stop here instead, naming the position.
absl::Status ModelRunner::CheckFinite(const Tensor& logits, absl::Span<const int32_t> tokens, int64_t start) const {
  const int64_t n = static_cast<int64_t>(tokens.size());
  for (size_t i = 0; i < logits.f.size(); ++i) {
    if (!std::isfinite(logits.f[i])) {
      const int64_t row = std::min<int64_t>(vocab_ > 0 ? static_cast<int64_t>(i) / vocab_ : 0, n - 1);
      return absl::DataLossError(absl::StrCat(
          "the logits after position ", start + row, " (token ", tokens[row], ") are not finite (",
          logits.f[i], " for id ", vocab_ > 0 ? static_cast<int64_t>(i) % vocab_ : 0,
          "): a weight or scale is NaN/Inf or the activations overflowed; --check-weights "
          "names a non-finite weight"));
    }
  }
  return absl::OkStatus();
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
