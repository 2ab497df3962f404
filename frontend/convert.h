// `dsc convert --to nvfp4`: quantizes the linear weights of a BF16 / F16 / F32 or FP8 block-128
// checkpoint to NVFP4 (formats.md §6), keeping BF16 what checkpoint.md §4.5 keeps, streaming
// tensor by tensor from the mmapped input, and writes the ModelOpt metadata and a
// conversion_report.json. All or nothing: staged in OUT.tmp.<pid>, renamed at the end.
#ifndef DSC_FRONTEND_CONVERT_H_
#define DSC_FRONTEND_CONVERT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "numerics/nvfp4.h"

namespace dsc::frontend {

struct ConvertOptions {
  // kScaleSearch (default): the error-minimising block-scale search; kReference: ModelOpt's
  // recipe bit for bit. Both use ModelOpt's global scale amax / (6·448).
  numerics::Nvfp4Recipe recipe = numerics::Nvfp4Recipe::kScaleSearch;
  int threads = 0;           // 0 = all cores
  bool single_file = false;  // write one model.safetensors instead of the input's shards
  // If set: (tensor bytes written, total) as the output streams out; the quantization runs
  // inside that stream, so this is the conversion's progress (the CLI's progress bar).
  std::function<void(int64_t done, int64_t total)> progress;
};

// One weight quantized to NVFP4.
struct ConvertedTensor {
  std::string module;          // HF module path, "model.layers.0.self_attn.q_a_proj"
  std::string from;            // "BF16", "F16", "F32", "FP8-block128"
  std::vector<int64_t> shape;  // [out, in]
  // ‖W − Q(W)‖ / ‖W‖ over all elements (double accumulation), W the input as float32 (FP8
  // dequantized exactly first).
  double rel_rms_error = 0.0;
  double sum_sq_error = 0.0, sum_sq_weight = 0.0;  // the two sums behind it
};

struct ConvertReport {
  std::string input, output, recipe;
  std::vector<ConvertedTensor> quantized;  // in tensor-name order
  // "quantized_from_BF16", "copied_BF16", "copied_F32", "dequantized_FP8_to_BF16", ...
  std::map<std::string, int64_t> counts;
  uint64_t bytes_in = 0, bytes_out = 0;  // tensor data bytes
  // Non-fatal problems: linear weights that could not be quantized (kept, listed in the
  // exclude list). Fatal ones fail the conversion and leave no output.
  std::vector<std::string> errors;
  std::vector<std::string> exclude_modules;
  std::vector<std::string> files;  // written, relative to the output directory
  double seconds = 0.0;

  // The conversion_report.json document: input, output, recipe, counts, bytes_in, bytes_out,
  // error summary (mean / max / weighted relative RMS error), tensors[], errors[].
  nlohmann::ordered_json ToJson() const;
};

// Converts `in_dir` into `out_dir`. The input is validated first (Checkpoint::Open,
// LoadHfConfig, ModelWeights::Build); errors name the file and tensor. AlreadyExists when
// out_dir exists and is not empty. On any failure nothing is left at out_dir.
absl::StatusOr<ConvertReport> ConvertToNvfp4(const std::string& in_dir, const std::string& out_dir,
                                             const ConvertOptions& options = {});

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_CONVERT_H_
