// dsc bench's runs: warm-up, timed, profiled; then the bandwidth (see bench_measure.h).
#include "tools/dsc/bench_measure.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "frontend/safetensors.h"
#include "runtime/thread_pool.h"
#include "tools/dsc/stopwatch.h"

namespace dsc::cli {
namespace {

int32_t Argmax(const runtime::Tensor& logits) {
  const int64_t vocab = logits.shape.back();
  const float* row = logits.f.data() + (logits.numel() - vocab);
  return static_cast<int32_t>(std::max_element(row, row + vocab) - row);
}

// A fixed pseudo-random prompt (the same in every run, so greedy decoding repeats).
std::vector<int32_t> PromptIds(int64_t n, int64_t vocab) {
  std::vector<int32_t> ids(n);
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    ids[i] = static_cast<int32_t>((s >> 33) % static_cast<uint64_t>(vocab));
  }
  return ids;
}

struct RunTimes {
  double prefill_s = 0, ttft_s = 0, decode_s = 0;
  std::vector<int32_t> tokens;
};

// Prefill of `prompt`, then `steps` greedy decode steps on a fresh sequence. With a profiler,
// each forward pass is one phase.
absl::StatusOr<RunTimes> Generate(runtime::ModelRunner& runner, const std::vector<int32_t>& prompt, int64_t steps,
                                  runtime::Profiler* profiler) {
  RunTimes r;
  std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
  auto start = std::chrono::steady_clock::now();
  if (profiler) profiler->BeginPhase("prefill");
  absl::StatusOr<runtime::Tensor> logits = runner.Forward(state.get(), prompt, 0, runtime::ModelRunner::Rows::kLast);
  if (profiler) profiler->EndPhase();
  if (!logits.ok()) return logits.status();
  r.prefill_s = SecondsSince(start);
  int32_t token = Argmax(*logits);
  r.ttft_s = SecondsSince(start);
  r.tokens.push_back(token);
  int64_t pos = static_cast<int64_t>(prompt.size());
  start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i, ++pos) {
    if (profiler) profiler->BeginPhase("decode");
    absl::StatusOr<const runtime::Tensor*> step = runner.Decode(state.get(), token, pos);  // as `dsc run` decodes
    if (profiler) profiler->EndPhase();
    if (!step.ok()) return step.status();
    token = Argmax(**step);
    r.tokens.push_back(token);
  }
  r.decode_s = SecondsSince(start);
  return r;
}

}  // namespace

int64_t PeakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

runtime::MemoryBandwidth MeasureBandwidthInChild(const runtime::BandwidthOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) return runtime::MeasureMemoryBandwidth(options);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return runtime::MeasureMemoryBandwidth(options);
  }
  if (pid == 0) {
    close(fds[0]);
    const runtime::MemoryBandwidth bw = runtime::MeasureMemoryBandwidth(options);
    const ssize_t n = write(fds[1], &bw, sizeof(bw));
    _exit(n == static_cast<ssize_t>(sizeof(bw)) ? 0 : 1);
  }
  close(fds[1]);
  runtime::MemoryBandwidth bw;
  size_t got = 0;
  while (got < sizeof(bw)) {
    const ssize_t n = read(fds[0], reinterpret_cast<char*>(&bw) + got, sizeof(bw) - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof(bw)) return runtime::MeasureMemoryBandwidth(options);
  return bw;
}

absl::StatusOr<BenchResult> MeasureBench(const ModelFlags& flags, const BenchConfig& config) {
  if (config.prompt < 1) return absl::InvalidArgumentError("--prompt must be at least 1");
  if (config.gen < 1) return absl::InvalidArgumentError("--gen must be at least 1");
  BenchResult result;
  result.prompt = config.prompt;
  result.gen = config.gen;
  result.threads = config.threads;
  result.timed_run = config.timed_run;
  runtime::BandwidthOptions bw;
  bw.threads = config.threads;
  bw.bytes = config.bandwidth_bytes;
  if (config.bandwidth_first) result.bandwidth = MeasureBandwidthInChild(bw);
  auto start = std::chrono::steady_clock::now();
  // The model's own context (as `dsc run`): a cache sized to the run changed the optimized graph
  // (statically dense indexer masks) and crashed gate_up_swiglu on the small preset.
  absl::StatusOr<std::unique_ptr<Engine>> engine = OpenEngine(flags);
  if (!engine.ok()) return engine.status();
  result.load_s = SecondsSince(start);
  runtime::ModelRunner& runner = *(*engine)->runner;
  const int64_t max_context = (*engine)->model.config.max_seq_len;
  if (config.prompt + config.gen + 1 > std::min(runner.context(), max_context)) {
    return absl::InvalidArgumentError(absl::StrCat("--prompt ", config.prompt, " + --gen ", config.gen,
                                                   " exceed the model's context of ", max_context, " tokens"));
  }
  const std::vector<int32_t> prompt = PromptIds(config.prompt, runner.vocab_size());

  // Every weight byte, read until two passes agree: a freshly loaded model on a VM first reads at
  // a fraction of the host's speed, and a decode step only touches its experts' share of it.
  if ((*engine)->model.checkpoint != nullptr) {
    std::vector<std::pair<const uint8_t*, size_t>> regions;
    for (const auto& file : (*engine)->model.checkpoint->files()) {
      // One region per run of adjacent tensors (pieces of a few KiB would each start a stream).
      for (const frontend::TensorView& t : file->tensors()) {
        if (!regions.empty() && t.data >= regions.back().first + regions.back().second &&
            t.data <= regions.back().first + regions.back().second + 4096) {
          regions.back().second = static_cast<size_t>(t.data + t.nbytes - regions.back().first);
        } else {
          regions.emplace_back(t.data, t.nbytes);
        }
      }
    }
    runtime::ThreadPool pool(config.threads);
    result.weights_settle = runtime::ReadUntilSteady(pool, regions, 0.1, config.settle_max_seconds);
  }

  // Warm-up: lazily compiled kernels, decoded constants, first touch of the weights' pages.
  const std::vector<int32_t> warm_prompt(
      prompt.begin(), prompt.begin() + (config.warmup_prompt > 0 ? std::min(config.warmup_prompt, config.prompt)
                                                                  : config.prompt));
  absl::StatusOr<RunTimes> warm = Generate(runner, warm_prompt, 1, nullptr);
  if (!warm.ok()) return warm.status();
  const double warm_s = warm->ttft_s + warm->decode_s;

  auto profiler = std::make_unique<runtime::Profiler>(runtime::Profiler::Options{config.record_shapes});
  (*engine)->interpreter->set_observer(profiler.get());
  absl::StatusOr<RunTimes> profiled = Generate(runner, prompt, config.gen, profiler.get());
  (*engine)->interpreter->set_observer(nullptr);
  if (!profiled.ok()) return profiled.status();
  result.prefill_profiled_s = profiled->prefill_s;
  result.decode_profiled_s = profiled->decode_s;

  RunTimes timed = *profiled;
  if (config.timed_run) {
    if (!config.bandwidth_first) result.bandwidth_before = MeasureBandwidthInChild(bw);
    absl::StatusOr<RunTimes> t = Generate(runner, prompt, config.gen, nullptr);
    if (!t.ok()) return t.status();
    timed = *t;
  }
  result.prefill_s = timed.prefill_s;
  result.ttft_s = timed.ttft_s;
  result.decode_s = timed.decode_s;
  result.generated = timed.tokens;
  const double per_step = timed.decode_s / static_cast<double>(config.gen);
  const double warm_ttft = timed.ttft_s * static_cast<double>(warm_prompt.size()) / static_cast<double>(config.prompt);
  result.compile_s = std::max(0.0, warm_s - warm_ttft - per_step);

  // Bytes per decode token: weights and scales vs cache rows, mean over the profiled steps.
  double weight = 0, cache = 0;
  for (const runtime::OpEvent& e : profiler->events()) {
    if (e.phase < 0 || profiler->phases()[e.phase].name != "decode") continue;
    (e.op->code() == ir::OpCode::kCacheRead ? cache : weight) += static_cast<double>(e.bytes);
  }
  result.decode_weight_bytes_per_token = weight / static_cast<double>(config.gen);
  result.decode_cache_bytes_per_token = cache / static_cast<double>(config.gen);
  result.profiler = std::move(profiler);

  result.peak_rss_bytes = PeakRssBytes();
  // The buffer beside the model, with a quarter to spare (the child's pages are its own).
  if (!config.bandwidth_first) {
    result.bandwidth = MeasureBandwidthInChild(bw);
  } else if (AvailableMemoryBytes() > 1.25 * static_cast<double>(bw.bytes)) {
    result.bandwidth_before = result.bandwidth;
    result.bandwidth = MeasureBandwidthInChild(bw);
  }
  result.engine = std::move(*engine);
  return result;
}

}  // namespace dsc::cli
