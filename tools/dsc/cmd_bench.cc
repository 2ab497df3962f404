// `dsc bench`: prefill and decode tokens/s, TTFT, load/compile time, peak RSS and the decode
// roofline fraction (cli.md), with an optional per-kernel-class breakdown, a Chrome trace, the
// full-model projection from the full-layer preset and the oneDNN baselines.
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tools/dsc/bench_baselines.h"
#include "tools/dsc/bench_measure.h"
#include "tools/dsc/bench_projection.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {
namespace {

nlohmann::json BreakdownJson(const BenchResult& r) {
  nlohmann::json out = nlohmann::json::object();
  const auto classes = r.profiler->ByClass("decode");
  const double steps = static_cast<double>(r.gen), bw = r.bandwidth.best();
  for (int c = 0; c < runtime::kNumKernelClasses; ++c) {
    const runtime::ProfileTotals& t = classes[c];
    if (t.ops == 0) continue;
    const double s = t.seconds / steps, b = static_cast<double>(t.bytes) / steps;
    out[std::string(runtime::KernelClassName(static_cast<runtime::KernelClass>(c)))] = {
        {"seconds_per_token", s},
        {"bytes_per_token", b},
        {"bytes_s", s > 0 ? b / s : 0},
        {"bandwidth_fraction", s > 0 && bw > 0 ? b / s / bw : 0},
        {"ops_per_token", static_cast<double>(t.ops) / steps}};
  }
  return out;
}

std::string BreakdownTable(const BenchResult& r) {
  const auto classes = r.profiler->ByClass("decode");
  const double steps = static_cast<double>(r.gen), bw = r.bandwidth.best();
  const runtime::ProfileTotals total = r.profiler->Total("decode");
  std::string out = absl::StrFormat("Decode breakdown (profiled run, mean of %d steps)\n", r.gen);
  out += absl::StrFormat("%-18s %10s %7s %12s %9s %8s %8s\n", "class", "ms/token", "time%", "MB/token", "GB/s",
                         "of bw", "ops");
  for (int c = 0; c < runtime::kNumKernelClasses; ++c) {
    const runtime::ProfileTotals& t = classes[c];
    if (t.ops == 0) continue;
    const double s = t.seconds / steps, b = static_cast<double>(t.bytes) / steps;
    out += absl::StrFormat("%-18s %10.3f %6.1f%% %12.3f %9.2f %7.1f%% %8.1f\n",
                           std::string(runtime::KernelClassName(static_cast<runtime::KernelClass>(c))), s * 1e3,
                           total.seconds > 0 ? 100 * t.seconds / total.seconds : 0, b / 1e6,
                           s > 0 ? b / s / 1e9 : 0, s > 0 && bw > 0 ? 100 * b / s / bw : 0, t.ops / steps);
  }
  const double s = total.seconds / steps, b = static_cast<double>(total.bytes) / steps;
  out += absl::StrFormat("%-18s %10.3f %6.1f%% %12.3f %9.2f %7.1f%% %8.1f\n", "total", s * 1e3, 100.0, b / 1e6,
                         s > 0 ? b / s / 1e9 : 0, s > 0 && bw > 0 ? 100 * b / s / bw : 0, total.ops / steps);
  out += "(shared_expert runs fused inside moe_decode: its time is that op's time times its byte share)\n";
  return out;
}

bool WeightsInMemory(const BenchResult& r) {
  const auto& files = r.engine->model.checkpoint->files();
  return !files.empty() && files[0]->in_memory();
}

nlohmann::json ResultJson(const BenchResult& r, const ModelFlags& flags) {
  return nlohmann::json{
      {"model", flags.model_dir},
      {"artifact", flags.artifact_dir},
      {"engine", flags.artifact_dir.empty() ? flags.engine : "artifact"},
      {"activations", flags.activations},
      {"threads", r.threads},
      {"weights", WeightsInMemory(r) ? "read" : "mapped"},
      {"prompt_tokens", r.prompt},
      {"gen_tokens", r.gen},
      {"prefill_tok_s", r.prefill_tok_s()},
      {"decode_tok_s", r.decode_tok_s()},
      {"ttft_s", r.ttft_s},
      {"load_s", r.load_s},
      {"compile_s", r.compile_s},
      {"prefill_s", r.prefill_s},
      {"decode_s_per_token", r.decode_s_per_token()},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"decode_bytes_per_token", r.decode_bytes_per_token()},
      {"decode_weight_bytes_per_token", r.decode_weight_bytes_per_token},
      {"decode_cache_bytes_per_token", r.decode_cache_bytes_per_token},
      {"weights_settle_passes", r.weights_settle.passes},
      {"weights_settle_s", r.weights_settle.seconds},
      {"weights_read_bytes_s", r.weights_settle.last_bytes_s},
      {"bandwidth_bytes_s", r.bandwidth.best()},
      {"bandwidth_plain_bytes_s", r.bandwidth.plain_bytes_s},
      {"bandwidth_prefetched_bytes_s", r.bandwidth.prefetched_bytes_s},
      {"bandwidth_buffer_bytes", r.bandwidth.buffer_bytes},
      {"bandwidth_before_bytes_s", r.bandwidth_before.best()},
      {"bandwidth_drift", r.bandwidth_drift()},
      {"bandwidth_unsteady", r.bandwidth_unsteady()},
      {"decode_roofline_fraction", r.roofline_fraction()},
      {"decode_profiled_s_per_token", r.gen > 0 ? r.decode_profiled_s / r.gen : 0},
      {"generated", r.generated},
  };
}

std::string ResultTable(const BenchResult& r, const ModelFlags& flags) {
  std::string out;
  auto row = [&](const std::string& k, const std::string& v) { out += absl::StrFormat("%-26s %s\n", k, v); };
  row("model", flags.artifact_dir.empty() ? flags.model_dir : flags.artifact_dir);
  row("engine / threads", absl::StrFormat("%s / %d", flags.artifact_dir.empty() ? flags.engine : "artifact", r.threads));
  row("weights", WeightsInMemory(r) ? "read into memory (--mmap: map them)" : "mapped from the files");
  row("prompt / generated", absl::StrFormat("%d / %d tokens", r.prompt, r.gen));
  row("load", absl::StrFormat("%.3f s", r.load_s));
  row("weights read until steady", absl::StrFormat("%d passes, %.2f s (last %.2f GB/s)", r.weights_settle.passes,
                                                   r.weights_settle.seconds, r.weights_settle.last_bytes_s / 1e9));
  row("compile (first-run extra)", absl::StrFormat("%.3f s", r.compile_s));
  row("prefill", absl::StrFormat("%.2f tok/s (%.3f s)", r.prefill_tok_s(), r.prefill_s));
  row("time to first token", absl::StrFormat("%.3f s", r.ttft_s));
  row("decode", absl::StrFormat("%.2f tok/s (%.2f ms/token)", r.decode_tok_s(), r.decode_s_per_token() * 1e3));
  row("decode bytes/token", absl::StrFormat("%.2f MB (weights %.2f MB, caches %.3f MB)", r.decode_bytes_per_token() / 1e6,
                                            r.decode_weight_bytes_per_token / 1e6, r.decode_cache_bytes_per_token / 1e6));
  row("read bandwidth", absl::StrFormat("%.2f GB/s (plain %.2f, prefetched %.2f; %d threads, %.1f GiB buffer)",
                                        r.bandwidth.best() / 1e9, r.bandwidth.plain_bytes_s / 1e9,
                                        r.bandwidth.prefetched_bytes_s / 1e9, r.bandwidth.threads,
                                        r.bandwidth.buffer_bytes / 1073741824.0));
  if (r.bandwidth_before.best() > 0) {
    row(r.timed_run ? "  before the timed run" : "  before the model loaded",
        absl::StrFormat("%.2f GB/s (after / before %.2f%s)", r.bandwidth_before.best() / 1e9, r.bandwidth_drift(),
                        r.bandwidth_unsteady() ? ": UNSTEADY" : ""));
  }
  row("decode roofline fraction", absl::StrFormat("%.3f", r.roofline_fraction()));
  row("peak RSS", absl::StrFormat("%.1f MiB", r.peak_rss_bytes / 1048576.0));
  return out;
}

}  // namespace

int RunBench(const Args& args) {
  ArgParser parser("dsc bench", "[-m DIR | --artifact DIR] [--prompt N] [--gen N] [--json] [options]",
                   "Prefill and decode tokens/s, TTFT, load/compile time, peak RSS, and the decode roofline\n"
                   "fraction: bytes of weights, scales and caches one decode step reads / the read bandwidth\n"
                   "measured in the same run at the same thread count / the measured time per token.\n"
                   "The bandwidth is measured right before and right after the timed decode; when the two\n"
                   "differ by more than 15% (a shared host) a warning says the fraction is unreliable.\n"
                   "With --projection it is measured before the model is loaded and, when the memory left\n"
                   "holds the buffer, again right after the profiled decode (the bound uses that one).");
  ModelFlags model;
  int64_t prompt = 128, gen = 32, bandwidth_mib = 2048;
  bool json = false, breakdown = false, projection = false, baselines = false;
  std::string profile;
  AddModelFlags(parser, &model);
  parser.AddInt("--prompt", "N", &prompt, "prompt tokens (default 128; 512 with --projection)");
  parser.AddInt("--gen", "N", &gen, "decode steps (default 32)");
  parser.AddBool("--json", &json, "print one JSON object");
  parser.AddBool("--breakdown", &breakdown, "time and bytes per kernel class of the decode steps");
  parser.AddString("--profile", "FILE", &profile, "write a Chrome trace (Perfetto) of the profiled run");
  parser.AddBool("--projection", &projection,
                 "full-model projection from a `dsc synth --preset full-layer` checkpoint");
  parser.AddBool("--baselines", &baselines,
                 "per layer: dequantize-to-BF16 + oneDNN (the seed's method) and oneDNN BF16 on pre-dequantized "
                 "weights");
  parser.AddInt("--bandwidth-mib", "N", &bandwidth_mib,
                 "buffer of the read-bandwidth measurement (default 2048: >> the 480 MiB L3 here)");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (projection && !parser.Seen("--prompt")) prompt = 512;
  if (prompt < 1) return ReportError("bench", absl::InvalidArgumentError("--prompt must be at least 1"));
  if (gen < 1) return ReportError("bench", absl::InvalidArgumentError("--gen must be at least 1"));
  if (bandwidth_mib < 16) return ReportError("bench", absl::InvalidArgumentError("--bandwidth-mib must be at least 16"));
  if (absl::Status s = CheckModelFlags(model); !s.ok()) return ReportError("bench", s);
  if (absl::Status s = UseDefaultModelIfNone(&model); !s.ok()) return ReportError("bench", s);

  BenchConfig config;
  config.prompt = prompt;
  config.gen = gen;
  config.threads = model.threads > 0 ? static_cast<int>(model.threads)
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  config.timed_run = !projection;
  // The projection's 512-token prefill is slow at the full shapes: warm up on a short prompt.
  if (projection) config.warmup_prompt = 16;
  config.record_shapes = !profile.empty();
  config.bandwidth_first = projection;
  config.bandwidth_bytes = static_cast<size_t>(bandwidth_mib) << 20;
  absl::StatusOr<BenchResult> r = MeasureBench(model, config);
  if (!r.ok()) return ReportError("bench", r.status());

  if (!profile.empty()) {
    if (absl::Status s = r->profiler->WriteChromeTrace(profile); !s.ok()) return ReportError("bench", s);
  }
  nlohmann::json out = ResultJson(*r, model);
  std::string text = ResultTable(*r, model);
  if (breakdown) {
    out["breakdown"] = BreakdownJson(*r);
    absl::StrAppend(&text, "\n", BreakdownTable(*r));
  }
  if (projection) {
    absl::StatusOr<Projection> p = ProjectFullModel(*r, r->engine->model.config);
    if (!p.ok()) return ReportError("bench", p.status());
    out["projection"] = ProjectionJson(*p);
    text += "\n" + ProjectionTable(*p);
  }
  if (baselines) {
    absl::StatusOr<std::vector<LayerBaseline>> b = MeasureLayerBaselines(*r, config.threads);
    if (!b.ok()) return ReportError("bench", b.status());
    out["baselines"] = BaselinesJson(*b);
    text += "\n" + BaselinesTable(*b);
  }
  if (r->bandwidth_unsteady()) {
    std::cerr << absl::StrFormat(
        "dsc bench: warning: the read bandwidth changed during the run (%.2f GB/s before the measured "
        "decode, %.2f after): the host is shared and the roofline fraction%s describes neither; run again\n",
        r->bandwidth_before.best() / 1e9, r->bandwidth.best() / 1e9, projection ? " (and the projection)" : "");
  }
  if (json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << text;
  }
  return kExitOk;
}

}  // namespace dsc::cli
