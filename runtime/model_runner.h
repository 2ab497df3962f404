// Runs a declared model chunk by chunk on one engine: a chunk of S > 1 tokens goes through
// `prefill`, a single token through `decode` (as the official generator does).
#ifndef DSC_RUNTIME_MODEL_RUNNER_H_
#define DSC_RUNTIME_MODEL_RUNNER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/interp/interpreter.h"

namespace dsc::runtime {

class ModelRunner {
 public:
  explicit ModelRunner(Interpreter* engine);

  std::unique_ptr<SequenceState> NewSequence() const { return engine_->NewSequence(); }
  // Cache capacity in tokens.
  int64_t context() const { return context_; }
  int64_t vocab_size() const { return vocab_; }

  // Which rows of logits a chunk returns: every row, or the last one only (all a generator
  // samples from; the LM head and the last layer's FFN then run on that row alone).
  enum class Rows { kAll, kLast };

  // Feeds `tokens` at positions [start, start + n); returns logits [n, vocab] (row i: after
  // token i), or [1, vocab] after the last token. OutOfRange when the chunk does not fit.
  absl::StatusOr<Tensor> Forward(SequenceState* state, absl::Span<const int32_t> tokens, int64_t start,
                                 Rows rows = Rows::kAll);

  // One decode step for a generation loop: feeds `token` at `position` and returns its logits
  // [1, vocab], valid until the next Decode on this runner. The token, the symbols and the
  // logits live in buffers reused step after step, so with the engine's arena a steady step
  // allocates nothing.
  absl::StatusOr<const Tensor*> Decode(SequenceState* state, int32_t token, int64_t position);

  // One decode step of several sequences together: token b at position starts[b] of
  // states[b]. Each weight is read once for the whole batch (Interpreter::RunBatch); returns
  // the logits [1, vocab] of each sequence.
  absl::StatusOr<std::vector<Tensor>> DecodeBatch(const std::vector<SequenceState*>& states,
                                                  absl::Span<const int32_t> tokens, absl::Span<const int64_t> starts);

 private:
  // DataLoss naming the position when logits [n, vocab] of tokens fed at `start` hold NaN/Inf.
  absl::Status CheckFinite(const Tensor& logits, absl::Span<const int32_t> tokens, int64_t start) const;

  Interpreter* engine_;
  int64_t context_ = 0;
  int64_t vocab_ = 0;
  bool has_prefill_last_ = false;
  // Decode's reused buffers.
  std::vector<Tensor> decode_args_;
  std::vector<Tensor> decode_out_;
  ir::SymbolBindings decode_symbols_;
};

// Convenience for verification: logits of every position of `tokens` fed from position 0 in
// chunks of `chunk` tokens (chunk >= n: one prefill; chunk == 1: token-by-token decode).
absl::StatusOr<Tensor> LogitsInChunks(ModelRunner& runner, absl::Span<const int32_t> tokens, int64_t chunk);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_MODEL_RUNNER_H_
