// `dsc compile`: ahead-of-time compilation of a checkpoint to an artifact directory (optimized
// IR, native kernel objects for the target CPU, manifest; tools/dsc/artifact.h). `run`, `chat`,
// `logits` and `bench` then take `--artifact DIR` and do no code generation.
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "tools/dsc/artifact.h"
#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

std::filesystem::path CacheRoot();  // engine.cc

int RunCompile(const Args& args) {
  ArgParser parser("dsc compile",
                   "-m DIR -o ARTIFACT_DIR [--target-cpu NAME] [--target-features +a,-b] [--kv-cache fp8|bf16|f32]",
                   "Ahead-of-time compilation for this CPU (or the named one): writes the optimized IR\n"
                   "(model.pb), the native code of every kernel the model needs (kernels/*.o) and\n"
                   "manifest.json (versions, required CPU features, checkpoint fingerprint, options).\n"
                   "Weights stay in the checkpoint. Use it with run/chat/logits/bench --artifact DIR:\n"
                   "no code generation at start-up. The KV cache dtype and revision are fixed here.");
  ModelFlags model;
  std::string out;
  bool no_cache = false;
  AddModelFlags(parser, &model, /*with_artifact=*/false);
  parser.AddString("-o,--output", "DIR", &out, "artifact directory (must not exist or be empty)");
  parser.AddBool("--no-cache", &no_cache, "compile every kernel (ignore the JIT's object cache)");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  if (model.model_dir.empty()) return ReportError("compile", absl::InvalidArgumentError("-m DIR is required"));
  if (out.empty()) return ReportError("compile", absl::InvalidArgumentError("-o ARTIFACT_DIR is required"));
  if (model.engine != "jit") {
    return ReportError("compile", absl::InvalidArgumentError("--engine: an artifact is always for the jit engine"));
  }
  const std::string cache_dir = no_cache ? "" : (CacheRoot() / "dsc" / "kernels").string();
  absl::StatusOr<CompileReport> report = CompileArtifact(model, out, cache_dir);
  if (!report.ok()) return ReportError("compile", report.status());
  std::cerr << absl::StrFormat(
      "[dsc] compile: %s for %s: %d kernels (%d compiled, %.2f s code generation, the rest from the object cache), "
      "%.1f MiB, %.2f s in all\n",
      out, report->target.substr(0, report->target.find(':')), report->kernels, report->codegened, report->codegen_seconds, report->bytes / 1048576.0, report->seconds);
  std::cout << out << "\n";
  return kExitOk;
}

}  // namespace dsc::cli
