// `dsc convert`: quantizes a BF16 or FP8 checkpoint to NVFP4, streaming, with
// conversion_report.json (cli.md); the work is frontend/convert.h.
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "frontend/convert.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/progress.h"

namespace dsc::cli {

int RunConvert(const Args& args) {
  ArgParser parser("dsc convert", "-m DIR -o DIR [--to nvfp4] [--recipe search|reference]",
                   "Quantizes a BF16 or FP8 checkpoint to NVFP4, streaming, with "
                   "conversion_report.json. Embeddings, lm_head, the MoE router, "
                   "indexer.weights_proj, norms and biases stay as they are.");
  std::string model, out, to = "nvfp4", recipe = "search";
  int64_t threads = 0;
  bool single_file = false;
  parser.AddString("-m,--model", "DIR", &model, "input checkpoint");
  parser.AddString("-o,--output", "DIR", &out, "output directory (must not exist or be empty)");
  parser.AddChoice("--to", {"nvfp4"}, &to, "target format");
  parser.AddChoice("--recipe", {"search", "reference"}, &recipe,
                   "block scales: search (default; error-minimising) or reference (ModelOpt)");
  parser.AddBool("--single-file", &single_file, "write one model.safetensors instead of the "
                 "input's shards");
  parser.AddInt("-t,--threads", "N", &threads, "quantization threads (default: all cores)");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (model.empty()) return ReportError("convert", absl::InvalidArgumentError("-m DIR is required"));
  if (out.empty()) return ReportError("convert", absl::InvalidArgumentError("-o DIR is required"));
  frontend::ConvertOptions options;
  options.recipe = recipe == "reference" ? numerics::Nvfp4Recipe::kReference
                                         : numerics::Nvfp4Recipe::kScaleSearch;
  options.threads = static_cast<int>(threads);
  options.single_file = single_file;
  ProgressBar bar("converting", ProgressUnit::kBytes);
  options.progress = bar.Callback();
  absl::StatusOr<frontend::ConvertReport> report = frontend::ConvertToNvfp4(model, out, options);
  bar.Finish();
  if (!report.ok()) return ReportError("convert", report.status());
  const nlohmann::ordered_json j = report->ToJson();
  std::cout << absl::StrFormat(
      "%s: %d weights quantized to NVFP4 (recipe %s), %.1f MB -> %.1f MB in %.2f s; relative "
      "RMS error mean %.4f, max %.4f; report in %s/conversion_report.json\n",
      out, report->quantized.size(), report->recipe, report->bytes_in / 1e6,
      report->bytes_out / 1e6, report->seconds, j["rel_rms_error"]["mean"].get<double>(),
      j["rel_rms_error"]["max"].get<double>(), out);
  for (const std::string& e : report->errors) std::cerr << "dsc convert: warning: " << e << "\n";
  return kExitOk;
}

}  // namespace dsc::cli
