// Shared by the subcommands that run a model: loads a checkpoint with the common flags and
// sets up the engine (the reference interpreter until the JIT engine lands).
#ifndef DSC_TOOLS_DSC_ENGINE_H_
#define DSC_TOOLS_DSC_ENGINE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/model_loader.h"
#include "runtime/interp/interpreter.h"
#include "runtime/model_runner.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

// `--engine interp`: the reference interpreter on the declared graph. `--engine jit`: the
// optimized graph (default pass pipeline) with quantized products run by JIT-compiled kernels
// for the target CPU; the other ops run on the interpreter's fast paths, with the memory plan's
// arena (runtime/README.md).
struct Engine {
  frontend::LoadedModel model;
  std::unique_ptr<runtime::FastLinear> fast_linear;  // jit only
  std::unique_ptr<runtime::Interpreter> interpreter;
  std::unique_ptr<runtime::ModelRunner> runner;
};

// With no -m and no --artifact: points flags->model_dir at the embedded default model, a small
// synthetic checkpoint (random weights) made on first use under the user's cache directory,
// and says so on stderr. Otherwise does nothing.
absl::Status UseDefaultModelIfNone(ModelFlags* flags);

// The loader options the model flags ask for (checked: KV-cache mode, revision, config file);
// context 0 = the model's max_seq_len.
absl::StatusOr<frontend::LoadOptions> LoadOptionsFor(const ModelFlags& flags, int64_t context = 0);

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const ModelFlags& flags, int64_t context = 0);

// Maps every weight into the process before the first forward pass, under a "mapping weights"
// bar, when the checkpoint fits in 90% of RAM (else pages come in on first use, as mmap does):
// otherwise a token's first use of an expert stalls on page faults (after a long prompt whose
// last layer ran one row, decode steps took up to 15 ms more in that layer's MoE).
void MapWeightsIn(const frontend::Checkpoint& checkpoint);

// MemAvailable of /proc/meminfo in bytes (0 when it cannot be read).
double AvailableMemoryBytes();

// Whether the weights are read into memory: --no-mmap, --mmap, or by default when the
// checkpoint takes at most half of MemAvailable (so the copy leaves room for the page cache
// and the KV caches; a larger checkpoint stays mapped).
bool ReadsWeightsIntoMemory(const frontend::Checkpoint& checkpoint, const ModelFlags& flags);

// Reads every shard into anonymous memory under a "reading weights" bar
// (SafetensorsFile::ReadIntoMemory) when ReadsWeightsIntoMemory; otherwise MapWeightsIn.
absl::Status BringWeightsIn(const frontend::Checkpoint& checkpoint, const ModelFlags& flags);

// "1,2,3" → ids (InvalidArgument naming the bad item).
absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& text, const std::string& flag);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_ENGINE_H_
