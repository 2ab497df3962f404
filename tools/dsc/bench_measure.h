// The measurement behind `dsc bench`: a warm-up, a timed prefill + greedy decode, a profiled
// repeat (bytes per token, per-kernel-class and per-layer times, Chrome trace), and the
// machine's read bandwidth at the same thread count, all in one process.
#ifndef DSC_TOOLS_DSC_BENCH_MEASURE_H_
#define DSC_TOOLS_DSC_BENCH_MEASURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/memory_bandwidth.h"
#include "runtime/profiler.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {

struct BenchConfig {
  int64_t prompt = 128;
  int64_t gen = 32;
  int threads = 1;
  bool timed_run = true;        // false: the profiled run's times are the results (projection)
  int64_t warmup_prompt = 0;    // prompt tokens of the warm-up (0: the same as `prompt`)
  bool record_shapes = false;   // operand shapes in the profile (for --profile)
  size_t bandwidth_bytes = size_t{2} << 30;
  // Measure the bandwidth before loading the model rather than after the runs (the full-shape
  // projection: its model and the buffer need not fit in memory together). A second pass
  // follows the profiled run when the memory left holds the buffer.
  bool bandwidth_first = false;
  double settle_max_seconds = 60;  // the weights' ReadUntilSteady
};

struct BenchResult {
  int64_t prompt = 0, gen = 0;
  int threads = 0;
  bool timed_run = true;  // BenchConfig::timed_run
  double load_s = 0;       // OpenEngine: checkpoint mmap, graph, pass pipeline
  double compile_s = 0;    // one-time cost of the first prefill + decode step (JIT kernels,
                           // object-cache loads, constant decoding) over the measured ones
  double prefill_s = 0;    // the prompt's forward pass
  double ttft_s = 0;       // prefill + picking the first token
  double decode_s = 0;     // `gen` decode steps
  // Counted in the profiled run (same tokens: greedy), mean over its decode steps.
  double decode_weight_bytes_per_token = 0;
  double decode_cache_bytes_per_token = 0;
  double decode_profiled_s = 0;  // the profiled run's decode steps (observer on)
  double prefill_profiled_s = 0;
  int64_t peak_rss_bytes = 0;    // before the bandwidth buffer is allocated
  // The weights read until they read steadily, after the load and before any run
  // (runtime::ReadUntilSteady: a VM host may back freshly loaded memory lazily).
  runtime::SteadyRead weights_settle;
  runtime::MemoryBandwidth bandwidth;
  // A second pass: right before the timed run, or with bandwidth_first the one before the
  // model loaded (and `bandwidth` then comes right after the profiled run, if the memory left
  // held its buffer; else there is one pass). On a shared host the read bandwidth can change by
  // 1.6x within seconds (BENCHMARKS.md); the two passes bracket the measured decode, and when
  // they disagree the fraction describes neither state.
  runtime::MemoryBandwidth bandwidth_before;
  // after / before: 1 on a quiet machine; 0 when there is no second pass.
  double bandwidth_drift() const {
    return bandwidth_before.best() > 0 ? bandwidth.best() / bandwidth_before.best() : 0;
  }
  bool bandwidth_unsteady() const {
    const double d = bandwidth_drift();
    return d > 0 && (d < 1 / kSteadyBandwidth || d > kSteadyBandwidth);
  }
  static constexpr double kSteadyBandwidth = 1.15;
  std::vector<int32_t> generated;
  std::unique_ptr<Engine> engine;               // kept: the profile's events point into its IR
  std::unique_ptr<runtime::Profiler> profiler;  // phases "prefill" and "decode" (one per step)

  double decode_bytes_per_token() const { return decode_weight_bytes_per_token + decode_cache_bytes_per_token; }
  double decode_s_per_token() const { return gen > 0 ? decode_s / gen : 0; }
  double decode_tok_s() const { return decode_s > 0 ? gen / decode_s : 0; }
  double prefill_tok_s() const { return prefill_s > 0 ? prompt / prefill_s : 0; }
  double roofline_fraction() const {
    const double bw = bandwidth.best();
    return bw > 0 && decode_s > 0 ? decode_bytes_per_token() / bw / decode_s_per_token() : 0;
  }
};

// Opens the engine (the model's context) and measures.
absl::StatusOr<BenchResult> MeasureBench(const ModelFlags& flags, const BenchConfig& config);

int64_t PeakRssBytes();

// MeasureMemoryBandwidth in a forked child, so that its buffer neither counts in this process's
// peak RSS nor competes with the model for memory afterwards (in-process if fork fails).
runtime::MemoryBandwidth MeasureBandwidthInChild(const runtime::BandwidthOptions& options);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_BENCH_MEASURE_H_
