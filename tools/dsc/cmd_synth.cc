// `dsc synth`: writes a synthetic checkpoint (random weights, real layout and names, a
// tokenizer) for tests and benchmarks (cli.md); the work is frontend/synth.h.
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "frontend/synth.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/progress.h"

namespace dsc::cli {

int RunSynth(const Args& args) {
  ArgParser parser("dsc synth",
                   "--preset tiny|small|full-layer [--format nvfp4|fp8|bf16] [--seed S] -o DIR "
                   "[--shards N] [--mtp]",
                   "Writes a synthetic checkpoint (random weights, real layout and names, a "
                   "tokenizer). tiny = the golden tiny-a shapes; small = hidden 2048, 8 layers, "
                   "64 experts (~2 GB NVFP4); full-layer = one dense + one MoE layer at the 671B "
                   "shapes.");
  std::string preset, format = "nvfp4", out;
  int64_t seed = 0, shards = 1, threads = 1;
  bool mtp = false;
  parser.AddChoice("--preset", {"tiny", "small", "full-layer"}, &preset, "model shape");
  parser.AddChoice("--format", {"nvfp4", "fp8", "bf16"}, &format, "weight format (default nvfp4)");
  parser.AddInt("--seed", "S", &seed, "random seed (default 0); same seed, same bytes");
  parser.AddString("-o,--output", "DIR", &out, "output directory (must not exist or be empty)");
  parser.AddInt("--shards", "N", &shards,
                "split into N model-0000k-of-0000N.safetensors files plus an index (default 1)");
  parser.AddBool("--mtp", &mtp, "add the MTP layer at index num_hidden_layers");
  parser.AddInt("-t,--threads", "N", &threads, "generation threads (default 1: one core makes > 1 GB/s, the disk is the limit)");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (preset.empty()) return ReportError("synth", absl::InvalidArgumentError("--preset is required"));
  if (out.empty()) return ReportError("synth", absl::InvalidArgumentError("-o DIR is required"));
  if (shards < 1 || shards > 99999) {
    return ReportError("synth", absl::InvalidArgumentError("--shards must be in 1..99999"));
  }
  absl::StatusOr<frontend::SynthFormat> parsed_format = frontend::ParseSynthFormat(format);
  if (!parsed_format.ok()) return ReportError("synth", parsed_format.status());
  frontend::SynthOptions options;
  options.preset = preset;
  options.format = *parsed_format;
  options.seed = static_cast<uint64_t>(seed);
  options.shards = static_cast<int>(shards);
  options.mtp = mtp;
  options.threads = static_cast<int>(threads);
  ProgressBar bar("writing " + preset, ProgressUnit::kBytes);
  options.progress = bar.Callback();
  absl::StatusOr<frontend::SynthResult> result = frontend::WriteSynthCheckpoint(options, out);
  bar.Finish();
  if (!result.ok()) return ReportError("synth", result.status());
  const double mb = static_cast<double>(result->written.file_bytes) / 1e6;
  std::cout << absl::StrFormat(
      "%s: preset %s, %s, seed %d: %d tensors in %d file(s), %.1f MB in %.2f s (%.0f MB/s)\n",
      out, preset, format, seed, result->tensors, result->written.files.size(), mb,
      result->seconds, result->seconds > 0 ? mb / result->seconds : 0.0);
  return kExitOk;
}

}  // namespace dsc::cli
