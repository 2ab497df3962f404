// `dsc run`: generate a continuation of a prompt (text or ids), streamed to stdout, with a
// stats line on stderr; `--batch-file` generates one line per prompt as a batch (cli.md).
#include <sys/resource.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <optional>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "frontend/json_strict.h"
#include "frontend/tokenizer/chat_encoding.h"
#include "frontend/tokenizer/streaming_decoder.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"
#include "nlohmann/json.hpp"
#include "runtime/generator.h"
#include "runtime/profiler.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {
namespace {

struct RunFlags {
  ModelFlags model;
  SamplingFlags sampling;
  std::string prompt, prompt_ids, batch_file, tokenizer, profile;
  bool chat = false, think = false, print_ids = false;
};

int64_t PeakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

absl::StatusOr<std::optional<Tokenizer>> LoadTokenizer(const RunFlags& f) {
  std::string path = !f.tokenizer.empty() ? f.tokenizer : f.model.model_dir;
  if (f.tokenizer.empty() && !std::filesystem::exists(std::filesystem::path(path) / "tokenizer.json")) {
    return std::optional<Tokenizer>();
  }
  absl::StatusOr<Tokenizer> t = Tokenizer::Load(path);
  if (!t.ok()) return t.status();
  return std::optional<Tokenizer>(std::move(*t));
}

absl::StatusOr<std::vector<int32_t>> PromptIds(const RunFlags& f, const std::string& text,
                                               const std::optional<Tokenizer>& tok) {
  if (!f.prompt_ids.empty()) return ParseIdList(f.prompt_ids, "--prompt-ids");
  if (!tok) return absl::InvalidArgumentError("this model has no tokenizer.json: give --prompt-ids or --tokenizer");
  if (!utf8::IsValid(text)) return absl::InvalidArgumentError("the prompt is not valid UTF-8");
  if (!f.chat) return tok->Encode(text, {.add_bos = tok->add_bos_token()});
  ChatMessage user;
    user.role = "user";
    user.content = text;
  ChatEncodeOptions options;
  options.mode = f.think ? ThinkingMode::kThinking : ThinkingMode::kChat;
  absl::StatusOr<std::string> encoded = EncodeChatV32(std::span<const ChatMessage>(&user, 1), options);
  if (!encoded.ok()) return encoded.status();
  return tok->Encode(*encoded);
}

void PrintStats(const runtime::GenerationStats& s) {
  double prompt_rate = s.prefill_seconds > 0 ? s.prompt_tokens / s.prefill_seconds : 0;
  int64_t decoded = std::max<int64_t>(s.generated_tokens - 1, 0);  // the first comes from prefill
  double gen_rate = s.decode_seconds > 0 ? decoded / s.decode_seconds : 0;
  std::cerr << absl::StrFormat(
      "\n[dsc] prompt %d tokens, %.1f tok/s | generated %d tokens, %.2f tok/s | time to first token %.3f s | peak RSS %.1f MiB\n",
      s.prompt_tokens, prompt_rate, s.generated_tokens, gen_rate, s.prefill_seconds, PeakRssBytes() / 1048576.0);
}

}  // namespace

int RunRun(const Args& args) {
  ArgParser parser("dsc run", "[-m DIR | --artifact DIR] -p TEXT [options]",
                   "Streams the continuation of a prompt to stdout, then a stats line on stderr.\n"
                   "With no -m/--artifact it uses the embedded default model.");
  RunFlags f;
  AddModelFlags(parser, &f.model);
  AddSamplingFlags(parser, &f.sampling);
  parser.AddString("-p,--prompt", "TEXT", &f.prompt, "the prompt");
  parser.AddString("--prompt-ids", "1,2,3", &f.prompt_ids, "the prompt as token ids");
  parser.AddString("--tokenizer", "PATH", &f.tokenizer, "tokenizer.json (default: the model's)");
  parser.AddBool("--print-ids", &f.print_ids, "print generated ids as one JSON array");
  parser.AddBool("--chat", &f.chat, "wrap the prompt with the chat encoding");
  parser.AddBool("--think", &f.think, "thinking mode (with --chat)");
  parser.AddString("--batch-file", "FILE", &f.batch_file, "one prompt per line, generated as a batch");
  parser.AddString("--profile", "FILE", &f.profile, "write a Chrome trace (Perfetto) of every op: time, bytes, shapes");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (f.prompt.empty() && f.prompt_ids.empty() && f.batch_file.empty()) {
    return ReportError("run", absl::InvalidArgumentError("give a prompt: -p TEXT, --prompt-ids or --batch-file"));
  }
  if (absl::Status s = CheckSamplingFlags(f.sampling); !s.ok()) return ReportError("run", s);
  if (absl::Status s = UseDefaultModelIfNone(&f.model); !s.ok()) return ReportError("run", s);
  absl::StatusOr<std::optional<Tokenizer>> tok = LoadTokenizer(f);
  if (!tok.ok()) return ReportError("run", tok.status());

  std::vector<std::vector<int32_t>> prompts;
  if (!f.batch_file.empty()) {
    absl::StatusOr<std::string> contents = frontend::ReadFileToString(f.batch_file);
    if (!contents.ok()) return ReportError("run", contents.status());
    std::istringstream in(*contents);
    std::string line;
    for (int line_no = 1; std::getline(in, line); ++line_no) {
      if (line.empty()) continue;
      absl::StatusOr<std::vector<int32_t>> ids = PromptIds(f, line, *tok);
      if (!ids.ok()) return ReportError("run", absl::InvalidArgumentError(absl::StrCat(f.batch_file, ":", line_no, ": ", ids.status().message())));
      prompts.push_back(std::move(*ids));
    }
    if (prompts.empty()) return ReportError("run", absl::InvalidArgumentError(f.batch_file + ": no prompts"));
  } else {
    absl::StatusOr<std::vector<int32_t>> ids = PromptIds(f, f.prompt, *tok);
    if (!ids.ok()) return ReportError("run", ids.status());
    prompts.push_back(std::move(*ids));
  }

  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(f.model);
  if (!engine.ok()) return ReportError("run", engine.status());
  runtime::ModelRunner& runner = *(*engine)->runner;
  for (const auto& p : prompts) {
    for (int32_t id : p) {
      if (id >= runner.vocab_size()) return ReportError("run", absl::InvalidArgumentError(absl::StrCat("token id ", id, " is outside the vocabulary of ", runner.vocab_size())));
    }
  }

  runtime::GenerationParams params;
  params.sampling = {f.sampling.temperature, f.sampling.top_k, f.sampling.top_p, static_cast<uint64_t>(f.sampling.seed)};
  params.max_new_tokens = f.sampling.n_predict;
  params.eos_id = *tok ? (*tok)->eos_id() : -1;
  const bool stream = prompts.size() == 1 && !f.print_ids && *tok;
  std::optional<StreamingDecoder> decoder;
  if (*tok) decoder.emplace(**tok);
  std::vector<std::string> texts(prompts.size());
  auto on_token = [&](int index, int32_t token) {
    if (!*tok) return true;
    texts[index] += (*tok)->TokenBytes(token);
    if (stream) std::cout << decoder->Push(token) << std::flush;
    return f.sampling.stop.empty() || texts[index].find(f.sampling.stop) == std::string::npos;
  };
  std::unique_ptr<runtime::Profiler> profiler;
  if (!f.profile.empty()) {
    profiler = std::make_unique<runtime::Profiler>(runtime::Profiler::Options{.record_shapes = true});
    (*engine)->interpreter->set_observer(profiler.get());
  }
  runtime::GenerationStats stats;
  absl::StatusOr<std::vector<std::vector<int32_t>>> out = runtime::Generate(runner, prompts, params, on_token, &stats);
  if (!out.ok()) return ReportError("run", out.status());
  if (profiler) {
    (*engine)->interpreter->set_observer(nullptr);
    if (absl::Status s = profiler->WriteChromeTrace(f.profile); !s.ok()) return ReportError("run", s);
  }
  if (stream) std::cout << decoder->Finish() << "\n";
  if (!f.batch_file.empty()) {
    for (size_t i = 0; i < out->size(); ++i) {
      std::string text;
      if (*tok) text = (*tok)->Decode((*out)[i]).value_or("");
      std::cout << nlohmann::json{{"index", i}, {"text", text}, {"tokens", (*out)[i]}}.dump() << "\n";
    }
  } else if (f.print_ids || !*tok) {
    std::cout << "[" << absl::StrJoin((*out)[0], ",") << "]\n";
  }
  PrintStats(stats);
  return kExitOk;
}

}  // namespace dsc::cli
