// Ahead-of-time artifacts (`dsc compile`, `--artifact`; cli.md "Compiler"). An artifact is a
// directory holding
//   model.pb        the optimized IR (default pass pipeline) as a binary ModuleProto,
//   kernels/*.o     native code of every linear kernel the model needs (JitLinear::
//                   RequiredKernels) for one target CPU, one relocatable object per kernel,
//   manifest.json   versions, the target CPU and the features it requires, each kernel's
//                   symbol / object / sha256 / calling info, the checkpoint's absolute path and
//                   fingerprint, and the options the graph was built with (KV cache, revision).
// Weights are not copied: a run maps them from the checkpoint, which must still match the
// fingerprint. Loading links the objects into the JIT with no IR optimization and no code
// generation at all.
#ifndef DSC_TOOLS_DSC_ARTIFACT_H_
#define DSC_TOOLS_DSC_ARTIFACT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tools/dsc/common_flags.h"
#include "tools/dsc/engine.h"

namespace dsc::cli {

inline constexpr int kArtifactFormatVersion = 1;

struct CompileReport {
  int kernels = 0;
  int codegened = 0;      // kernels compiled now (the rest came from the object cache)
  int64_t bytes = 0;      // artifact size on disk
  double seconds = 0.0;   // whole compile, graph building included
  double codegen_seconds = 0.0;
  std::string target;     // "cpu:features"
};

// `dsc compile`: builds the checkpoint flags.model_dir's optimized graph with the flags' KV
// cache / revision / config, compiles its kernels for flags' target (default: the host) and
// writes the artifact to `out_dir` atomically: everything goes to a temporary sibling that is
// renamed at the end, so a failure leaves nothing. `out_dir` must not exist or be empty
// (AlreadyExists otherwise). `cache_dir` is the JIT's object cache (empty = none).
absl::StatusOr<CompileReport> CompileArtifact(const ModelFlags& flags, const std::string& out_dir,
                                              const std::string& cache_dir);

// The checkpoint directory recorded in an artifact's manifest (errors name the manifest).
absl::StatusOr<std::string> ArtifactCheckpointDir(const std::string& artifact_dir);

// `--artifact DIR`: checks the manifest (versions, the host has every required CPU feature, the
// checkpoint — flags.model_dir if given, else the recorded one — matches the fingerprint, the
// IR and objects match their hashes), loads the IR from model.pb (no frontend, no passes) and
// links the kernels (no code generation; a log line on stderr says so). Every problem is a
// bad-input status (exit 2) naming the file, field or feature at fault.
absl::StatusOr<std::unique_ptr<Engine>> OpenArtifactEngine(const ModelFlags& flags);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_ARTIFACT_H_
