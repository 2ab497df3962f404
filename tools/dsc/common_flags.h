// Flag groups shared by several subcommands (cli.md "Conventions"), declared once.
#ifndef DSC_TOOLS_DSC_COMMON_FLAGS_H_
#define DSC_TOOLS_DSC_COMMON_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "tools/dsc/args.h"

namespace dsc::cli {

// Where the model comes from and how it is executed.
struct ModelFlags {
  std::string model_dir;     // -m, --model
  std::string artifact_dir;  // --artifact
  std::string config_file;   // --config (official inference-style config.json)
  std::string engine = "jit";
  int64_t threads = 0;       // 0 = all cores
  std::string target_cpu;
  std::string target_features;
  std::string revision = "r2";
  std::string kv_cache = "fp8";
  std::string activations = "f32";  // the NVFP4 GEMVs' activations: f32 (exact) or bf16 (opt-in)
  bool check_weights = false;  // scan every float weight/scale for NaN/Inf at load
  // Weights: read into anonymous memory (--no-mmap), mapped from the files (--mmap), or, with
  // neither, read when the checkpoint takes at most half of the available memory.
  bool no_mmap = false;
  bool mmap = false;
};
void AddModelFlags(ArgParser& p, ModelFlags* f, bool with_artifact = true);

struct SamplingFlags {
  int64_t n_predict = 128;
  double temperature = 0.8;
  double top_p = 1.0;
  int64_t top_k = 0;
  int64_t seed = 0;
  std::string stop;
};
void AddSamplingFlags(ArgParser& p, SamplingFlags* f);

// Range checks the parser cannot express; InvalidArgument naming the flag. OpenEngine checks
// the model flags; commands that sample check theirs after parsing.
absl::Status CheckModelFlags(const ModelFlags& f);
absl::Status CheckSamplingFlags(const SamplingFlags& f);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_COMMON_FLAGS_H_
