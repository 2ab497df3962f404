// `dsc logits`: logits of every position of a token sequence, fed in one of the verification
// modes of cli.md (prefill, decode, chunked:K), written as tensor `logits` [n, vocab] F32.
#include <cstring>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontend/safetensors_writer.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {
namespace {

// prefill → n, decode → 1, chunked:K → K.
absl::StatusOr<int64_t> ChunkSize(const std::string& mode, int64_t n) {
  if (mode == "prefill") return n;
  if (mode == "decode") return 1;
  int64_t k;
  if (mode.rfind("chunked:", 0) == 0 && absl::SimpleAtoi(mode.substr(8), &k) && k > 0) return k;
  return absl::InvalidArgumentError(absl::StrCat("--mode: expected prefill, decode or chunked:K, got '", mode, "'"));
}

}  // namespace

int RunLogits(const Args& args) {
  ArgParser parser("dsc logits", "-m DIR --tokens 1,2,3 [--mode prefill|decode|chunked:K] -o OUT.safetensors",
                   "Writes tensor `logits` (F32, [n_tokens, vocab]); row i holds the logits after token i.");
  ModelFlags model;
  std::string tokens, mode = "prefill", out;
  AddModelFlags(parser, &model);
  parser.AddString("--tokens", "1,2,3", &tokens, "token ids");
  parser.AddString("--mode", "prefill|decode|chunked:K", &mode, "how the tokens are fed (default prefill)");
  parser.AddString("-o,--output", "FILE", &out, "output .safetensors");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (out.empty()) return ReportError("logits", absl::InvalidArgumentError("-o OUT.safetensors is required"));
  absl::StatusOr<std::vector<int32_t>> ids = ParseIdList(tokens, "--tokens");
  if (!ids.ok()) return ReportError("logits", ids.status());
  absl::StatusOr<int64_t> chunk = ChunkSize(mode, static_cast<int64_t>(ids->size()));
  if (!chunk.ok()) return ReportError("logits", chunk.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(model);
  if (!engine.ok()) return ReportError("logits", engine.status());
  absl::StatusOr<runtime::Tensor> logits = runtime::LogitsInChunks(*(*engine)->runner, *ids, *chunk);
  if (!logits.ok()) return ReportError("logits", logits.status());
  std::string bytes(logits->f.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), logits->f.data(), bytes.size());
  frontend::SafetensorsWriter writer;
  writer.Add("logits", frontend::StDtype::kF32, std::vector<int64_t>(logits->shape.begin(), logits->shape.end()), std::move(bytes));
  if (absl::Status s = writer.WriteAtomic(out); !s.ok()) return ReportError("logits", s);
  return kExitOk;
}

}  // namespace dsc::cli
