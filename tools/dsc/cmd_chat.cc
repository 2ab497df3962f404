// `dsc chat`: an interactive multi-turn REPL. Earlier turns stay in the KV cache (each turn
// encodes only the new messages, with the history as chat-encoding context); /reset clears
// it, /think on|off switches thinking mode, Ctrl-D quits, Ctrl-C stops the current answer only.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include "absl/strings/str_format.h"
#include "frontend/tokenizer/chat_encoding.h"
#include "frontend/tokenizer/streaming_decoder.h"
#include "frontend/tokenizer/tokenizer.h"
#include "frontend/tokenizer/utf8.h"
#include "runtime/sampler.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {
namespace {

std::atomic<bool> g_interrupted{false};
void OnSigint(int) { g_interrupted = true; }

class ChatSession {
 public:
  ChatSession(Engine& engine, Tokenizer tokenizer, const SamplingFlags& sampling, bool think)
      : runner_(*engine.runner), tok_(std::move(tokenizer)), sampling_(sampling), think_(think) {
    Reset();
  }

  void Reset() {
    state_ = runner_.NewSequence();
    history_.clear();
    position_ = 0;
  }
  void SetThinking(bool on) { think_ = on; }
  bool thinking() const { return think_; }

  // One user turn: feeds the new messages, streams the answer to stdout.
  absl::Status Turn(const std::string& text) {
    ChatMessage user;
    user.role = "user";
    user.content = text;
    ChatEncodeOptions options;
    options.mode = think_ ? ThinkingMode::kThinking : ThinkingMode::kChat;
    options.context = history_;
    absl::StatusOr<std::string> encoded = EncodeChatV32(std::span<const ChatMessage>(&user, 1), options);
    if (!encoded.ok()) return encoded.status();
    std::vector<int32_t> ids = tok_.Encode(*encoded);
    if (position_ + static_cast<int64_t>(ids.size()) + sampling_.n_predict + 1 > runner_.context()) {
      return absl::OutOfRangeError(absl::StrCat("the conversation would exceed the context of ", runner_.context(),
                                                " tokens; /reset to start over"));
    }
    absl::StatusOr<runtime::Tensor> logits =
        runner_.Forward(state_.get(), ids, position_, runtime::ModelRunner::Rows::kLast);
    if (!logits.ok()) return logits.status();
    position_ += static_cast<int64_t>(ids.size());
    history_.push_back(user);

    runtime::Sampler sampler({sampling_.temperature, sampling_.top_k, sampling_.top_p,
                              static_cast<uint64_t>(sampling_.seed + position_)});
    StreamingDecoder decoder(tok_);
    std::vector<int32_t> answer;
    const int64_t vocab = runner_.vocab_size();
    int32_t next = sampler.Sample(absl::MakeConstSpan(logits->f).subspan((logits->shape[0] - 1) * vocab, vocab));
    g_interrupted = false;
    while (true) {
      bool end = next == tok_.eos_id();
      if (!end) {
        std::cout << decoder.Push(next) << std::flush;
        answer.push_back(next);
      }
      // The closing EOS is fed too, so the cache holds the whole turn for the next one.
      if (end || g_interrupted || static_cast<int64_t>(answer.size()) >= sampling_.n_predict) {
        if (!end) next = tok_.eos_id();
        absl::StatusOr<const runtime::Tensor*> last = runner_.Decode(state_.get(), next, position_++);
        if (!last.ok()) return last.status();
        break;
      }
      absl::StatusOr<const runtime::Tensor*> step = runner_.Decode(state_.get(), next, position_++);
      if (!step.ok()) return step.status();
      next = sampler.Sample((*step)->f);
    }
    std::cout << decoder.Finish() << (g_interrupted ? " [stopped]" : "") << "\n";
    g_interrupted = false;
    absl::StatusOr<std::string> reply = tok_.Decode(answer);
    ChatMessage assistant;
    assistant.role = "assistant";
    assistant.content = reply.value_or("");
    history_.push_back(assistant);
    return absl::OkStatus();
  }

 private:
  runtime::ModelRunner& runner_;
  Tokenizer tok_;
  SamplingFlags sampling_;
  bool think_;
  std::unique_ptr<runtime::SequenceState> state_;
  std::vector<ChatMessage> history_;
  int64_t position_ = 0;
};

}  // namespace

int RunChat(const Args& args) {
  ArgParser parser("dsc chat", "[-m DIR | --artifact DIR] [options]",
                   "Interactive multi-turn chat. Commands: /reset, /think on|off, /quit; Ctrl-D quits,\n"
                   "Ctrl-C stops the current answer.");
  ModelFlags model;
  SamplingFlags sampling;
  std::string tokenizer;
  bool think = false;
  AddModelFlags(parser, &model);
  AddSamplingFlags(parser, &sampling);
  parser.AddString("--tokenizer", "PATH", &tokenizer, "tokenizer.json (default: the model's)");
  parser.AddBool("--think", &think, "start with thinking mode on");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (absl::Status s = CheckSamplingFlags(sampling); !s.ok()) return ReportError("chat", s);
  if (absl::Status s = UseDefaultModelIfNone(&model); !s.ok()) return ReportError("chat", s);
  absl::StatusOr<Tokenizer> tok = Tokenizer::Load(tokenizer.empty() ? model.model_dir : tokenizer);
  if (!tok.ok()) return ReportError("chat", tok.status());
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(model);
  if (!engine.ok()) return ReportError("chat", engine.status());
  ChatSession session(**engine, std::move(*tok), sampling, think);

  struct sigaction action = {};
  action.sa_handler = OnSigint;
  sigaction(SIGINT, &action, nullptr);
  const bool tty = isatty(STDIN_FILENO);
  std::cerr << "dsc chat: /reset clears the conversation, /think on|off, Ctrl-D quits\n";
  std::string line;
  while (true) {
    std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) {
      if (g_interrupted && tty) {  // Ctrl-C at the prompt: a new prompt, not an exit
        std::cin.clear();
        g_interrupted = false;
        std::cout << "\n";
        continue;
      }
      std::cout << "\n";
      break;
    }
    if (line.empty()) continue;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/reset") {
      session.Reset();
      std::cout << "[conversation cleared]\n";
      continue;
    }
    if (line == "/think on" || line == "/think off") {
      session.SetThinking(line == "/think on");
      std::cout << "[thinking " << (session.thinking() ? "on" : "off") << "]\n";
      continue;
    }
    if (!utf8::IsValid(line)) {
      std::cerr << "dsc chat: the input is not valid UTF-8\n";
      continue;
    }
    if (absl::Status s = session.Turn(line); !s.ok()) std::cerr << "dsc chat: error: " << s.message() << "\n";
  }
  return kExitOk;
}

}  // namespace dsc::cli
