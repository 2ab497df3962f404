// `dsc perplexity`: llama-perplexity style (cli.md). The ids are cut to --max-tokens, split into
// non-overlapping windows of --ctx tokens (a shorter tail is dropped, as llama-perplexity
// does), each window one prefill at position 0; tokens 1..ctx-1 of each window are scored.
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>

#include "absl/strings/str_format.h"
#include "frontend/json_strict.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"
#include "tools/dsc/commands.h"
#include "tools/dsc/engine.h"
#include "tools/dsc/progress.h"

namespace dsc::cli {
namespace {

absl::StatusOr<std::vector<int32_t>> ReadIds(const std::string& path) {
  absl::StatusOr<std::string> text = frontend::ReadFileToString(path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return absl::InvalidArgumentError(path + ": expected a JSON array of token ids");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number_integer() || j[i].get<int64_t>() < 0 ||
        j[i].get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": element ", i, " is not a token id"));
    }
    ids.push_back(j[i].get<int32_t>());
  }
  return ids;
}

absl::StatusOr<std::vector<int32_t>> ReadText(const std::string& path, const std::string& model_dir,
                                              const std::string& tokenizer_path) {
  absl::StatusOr<std::string> contents = frontend::ReadFileToString(path);
  if (!contents.ok()) return contents.status();
  const std::string& text = *contents;
  if (!utf8::IsValid(text)) return absl::InvalidArgumentError(path + ": not valid UTF-8");
  absl::StatusOr<Tokenizer> tok = Tokenizer::Load(tokenizer_path.empty() ? model_dir : tokenizer_path);
  if (!tok.ok()) return tok.status();
  return tok->Encode(text);
}

// -log softmax(row)[target], in double.
double Nll(const float* row, int64_t vocab, int32_t target) {
  double max = row[0];
  for (int64_t j = 1; j < vocab; ++j) max = std::max<double>(max, row[j]);
  double sum = 0;
  for (int64_t j = 0; j < vocab; ++j) sum += std::exp(double(row[j]) - max);
  return std::log(sum) + max - row[target];
}

}  // namespace

int RunPerplexity(const Args& args) {
  ArgParser parser("dsc perplexity", "-m DIR (--file TEXT | --ids FILE.json) [--ctx N] [--max-tokens N] [--bos] [--json]",
                   "llama-perplexity style: non-overlapping windows of --ctx tokens, each one prefill at position 0;\n"
                   "tokens 1..ctx-1 of each window are scored. With --bos the first token of each window is BOS.");
  ModelFlags model;
  std::string file, ids_path, tokenizer;
  int64_t ctx = 512, max_tokens = 0;
  bool bos = false, json = false;
  AddModelFlags(parser, &model);
  parser.AddString("--file", "TEXT", &file, "text file to score");
  parser.AddString("--ids", "FILE.json", &ids_path, "JSON array of token ids to score");
  parser.AddString("--tokenizer", "PATH", &tokenizer, "tokenizer.json for --file (default: the model's)");
  parser.AddInt("--ctx", "N", &ctx, "window length (default 512)");
  parser.AddInt("--max-tokens", "N", &max_tokens, "use only the first N ids (default: all)");
  parser.AddBool("--bos", &bos, "make the first token of each window BOS");
  parser.AddBool("--json", &json, "print JSON");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (file.empty() == ids_path.empty()) {
    return ReportError("perplexity", absl::InvalidArgumentError("give exactly one of --file and --ids"));
  }
  if (ctx < 2) return ReportError("perplexity", absl::InvalidArgumentError("--ctx must be at least 2"));
  absl::StatusOr<std::vector<int32_t>> ids = ids_path.empty() ? ReadText(file, model.model_dir, tokenizer) : ReadIds(ids_path);
  if (!ids.ok()) return ReportError("perplexity", ids.status());
  if (max_tokens > 0 && static_cast<int64_t>(ids->size()) > max_tokens) ids->resize(max_tokens);
  const int64_t windows = static_cast<int64_t>(ids->size()) / ctx;
  if (windows == 0) {
    return ReportError("perplexity", absl::InvalidArgumentError(absl::StrCat(
                                         "need at least --ctx = ", ctx, " tokens, got ", ids->size())));
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(model, /*context=*/ctx);
  if (!engine.ok()) return ReportError("perplexity", engine.status());
  // The cache is sized to --ctx, so nothing else would stop a window longer than the model
  // supports (and a huge one would allocate and compute for hours before failing).
  if (const int64_t max = (*engine)->model.config.max_seq_len; ctx > max) {
    return ReportError("perplexity", absl::InvalidArgumentError(absl::StrCat(
                                         "--ctx ", ctx, " exceeds the model's context of ", max,
                                         " tokens (max_seq_len)")));
  }
  runtime::ModelRunner& runner = *(*engine)->runner;
  const int64_t vocab = runner.vocab_size();
  const int32_t bos_id = static_cast<int32_t>((*engine)->model.config.bos_token_id);
  // Checked before the bar is drawn, so that the message is not printed over it.
  for (int64_t i = 0; i < windows * ctx; ++i) {
    if ((*ids)[i] >= vocab && !(bos && i % ctx == 0)) {  // --bos replaces each window's first id
      return ReportError("perplexity", absl::InvalidArgumentError(absl::StrCat(
                                           "token id ", (*ids)[i], " is outside the vocabulary of ", vocab)));
    }
  }
  double total = 0;
  int64_t predictions = 0;
  std::vector<double> window_nll;
  // Tokens/s counts the forward passes only (the JIT's first-use kernel compilation included;
  // its disk cache makes later runs skip it), not loading or scoring.
  double forward_seconds = 0;
  ProgressBar bar("perplexity");
  bar.Update(0, windows);
  for (int64_t w = 0; w < windows; ++w) {
    std::vector<int32_t> window(ids->begin() + w * ctx, ids->begin() + (w + 1) * ctx);
    if (bos) window[0] = bos_id;
    std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<runtime::Tensor> logits = runner.Forward(state.get(), window, 0);
    forward_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!logits.ok()) {
      bar.Finish();
      return ReportError("perplexity", logits.status());
    }
    double sum = 0;
    for (int64_t i = 1; i < ctx; ++i) sum += Nll(logits->f.data() + (i - 1) * vocab, vocab, window[i]);
    window_nll.push_back(sum / (ctx - 1));
    total += sum;
    predictions += ctx - 1;
    if (!json) {
      bar.Clear();
      std::cerr << absl::StrFormat("[dsc] window %d/%d: nll %.4f\n", w + 1, windows, window_nll.back());
    }
    bar.Update(w + 1, windows);
  }
  bar.Finish();
  const double nll = total / predictions;
  const double tok_s = forward_seconds > 0 ? static_cast<double>(windows * ctx) / forward_seconds : 0.0;
  if (json) {
    std::cout << nlohmann::json{{"ppl", std::exp(nll)},         {"nll", nll},
                                {"predictions", predictions},  {"windows", window_nll},
                                {"tok_s", tok_s},              {"forward_s", forward_seconds},
                                {"engine", model.engine},      {"kv_cache", model.kv_cache}}
                     .dump()
              << "\n";
  } else {
    std::cout << absl::StrFormat("PPL = %.4f (mean NLL %.5f over %d predictions in %d windows of %d)\n", std::exp(nll), nll,
                                 predictions, windows, ctx);
    std::cout << absl::StrFormat("%d tokens in %.2f s of forward passes: %.1f tok/s (--engine %s, --kv-cache %s)\n",
                                 windows * ctx, forward_seconds, tok_s, model.engine, model.kv_cache);
  }
  return kExitOk;
}

}  // namespace dsc::cli
