// Model loading and engine selection for the run/logits/perplexity subcommands.
#include "tools/dsc/engine.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <iostream>
#include <thread>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codegen/target.h"
#include "frontend/synth.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "tools/dsc/artifact.h"
#include "tools/dsc/jit_linear.h"
#include "tools/dsc/progress.h"

namespace dsc::cli {
namespace {

// NaN/Inf patterns of the float storage dtypes: all exponent bits set, NaN when a mantissa bit
// is set too (E4M3 has no Inf: S.1111.111 is its only NaN). Integer tensors, e.g. packed NVFP4
// whose E2M1 values have no NaN/Inf, are not scanned.
struct FloatBits {
  uint64_t exponent, mantissa;
};
std::optional<FloatBits> NonFiniteBits(frontend::StDtype dtype) {
  using frontend::StDtype;
  switch (dtype) {
    case StDtype::kF64: return FloatBits{0x7ff0000000000000ull, 0x000fffffffffffffull};
    case StDtype::kF32: return FloatBits{0x7f800000u, 0x007fffffu};
    case StDtype::kF16: return FloatBits{0x7c00, 0x03ff};
    case StDtype::kBF16: return FloatBits{0x7f80, 0x007f};
    case StDtype::kF8E5M2: return FloatBits{0x7c, 0x03};
    case StDtype::kF8E4M3: return FloatBits{0x7f, 0x7f};
    default: return std::nullopt;
  }
}

// --check-weights: the first NaN/Inf of any float tensor is an InvalidArgument naming it.
absl::Status CheckWeightsFinite(const frontend::Checkpoint& checkpoint, ProgressBar& bar) {
  int64_t total = 0, done = 0;
  for (const frontend::TensorView* t : checkpoint.tensors()) total += static_cast<int64_t>(t->nbytes);
  for (const frontend::TensorView* t : checkpoint.tensors()) {
    bar.Update(done, total);
    done += static_cast<int64_t>(t->nbytes);
    const std::optional<FloatBits> bits = NonFiniteBits(t->dtype);
    if (!bits) continue;
    const size_t size = frontend::StDtypeSize(t->dtype);
    const size_t n = t->nbytes / size;
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = 0;
      std::memcpy(&v, t->data + i * size, size);  // little-endian host, as the format
      if ((v & bits->exponent) != bits->exponent) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          t->file, ": tensor '", t->name, "' (", std::string(frontend::StDtypeName(t->dtype)),
          ") holds ", (v & bits->mantissa) ? "NaN" : "Inf", " at element ", i, " of ", n,
          " (--check-weights)"));
    }
  }
  bar.Update(total, total);
  return absl::OkStatus();
}

}  // namespace

// $XDG_CACHE_HOME, else ~/.cache.
std::filesystem::path CacheRoot() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  return xdg != nullptr && *xdg != '\0' ? std::filesystem::path(xdg)
                                         : std::filesystem::path(home != nullptr ? home : "/tmp") / ".cache";
}

absl::Status UseDefaultModelIfNone(ModelFlags* flags) {
  if (flags->model_dir.empty() && !flags->artifact_dir.empty()) {
    // The artifact's checkpoint: its tokenizer and weights.
    absl::StatusOr<std::string> dir = ArtifactCheckpointDir(flags->artifact_dir);
    if (!dir.ok()) return dir.status();
    flags->model_dir = *dir;
  }
  if (!flags->model_dir.empty() || !flags->artifact_dir.empty()) return absl::OkStatus();
  namespace fs = std::filesystem;
  fs::path dir = CacheRoot() / "dsc" / (std::string("default-model-") + DSC_VERSION);
  flags->model_dir = dir.string();
  std::cerr << "dsc: using the embedded default model (synthetic tiny DeepSeek V3.2, NVFP4, RANDOM weights: "
               "its text is meaningless) at "
            << dir.string() << "\n";
  std::error_code ec;
  if (fs::exists(dir / "config.json", ec)) return absl::OkStatus();
  fs::create_directories(dir.parent_path(), ec);
  // Built under a private name and renamed, so an interrupted first run leaves nothing behind.
  fs::path tmp = dir.string() + ".tmp." + std::to_string(getpid());
  fs::remove_all(tmp, ec);
  frontend::SynthOptions options;
  options.preset = "tiny";
  options.format = frontend::SynthFormat::kNvfp4;
  absl::StatusOr<frontend::SynthResult> made = frontend::WriteSynthCheckpoint(options, tmp.string());
  if (!made.ok()) return made.status();
  fs::rename(tmp, dir, ec);
  if (ec && !fs::exists(dir / "config.json")) {
    return absl::InternalError(absl::StrCat("cannot create the default model at ", dir.string(), ": ", ec.message()));
  }
  fs::remove_all(tmp, ec);
  return absl::OkStatus();
}

absl::StatusOr<frontend::LoadOptions> LoadOptionsFor(const ModelFlags& flags, int64_t context) {
  if (absl::Status s = CheckModelFlags(flags); !s.ok()) return s;
  frontend::LoadOptions options;
  options.config_file = flags.config_file;
  options.graph.revision = flags.revision;
  absl::StatusOr<frontend::KvCacheMode> kv = frontend::ParseKvCacheMode(flags.kv_cache);
  if (!kv.ok()) return kv.status();
  options.graph.kv_cache = *kv;
  options.graph.context = context;
  return options;
}

namespace {

// Bytes of all the checkpoint's shard files.
int64_t ShardBytes(const frontend::Checkpoint& checkpoint) {
  int64_t total = 0;
  for (const auto& file : checkpoint.files()) total += static_cast<int64_t>(file->file_size());
  return total;
}

}  // namespace

void MapWeightsIn(const frontend::Checkpoint& checkpoint) {
  const int64_t total = ShardBytes(checkpoint);
  int64_t done = 0;
  const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  if (static_cast<double>(total) > 0.9 * ram) return;
  ProgressBar bar("mapping weights", ProgressUnit::kBytes);
  constexpr uint64_t kStep = uint64_t{256} << 20;
  for (const auto& file : checkpoint.files()) {
    for (uint64_t offset = 0; offset < file->file_size(); offset += kStep) {
      bar.Update(done + static_cast<int64_t>(offset), total);
      if (!file->Prefault(offset, kStep)) break;  // advice only
    }
    done += static_cast<int64_t>(file->file_size());
  }
  bar.Update(total, total);
  bar.Finish();
}

double AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemAvailable:") return kb * 1024;
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

bool ReadsWeightsIntoMemory(const frontend::Checkpoint& checkpoint, const ModelFlags& flags) {
  if (flags.no_mmap || flags.mmap) return flags.no_mmap;
  return static_cast<double>(ShardBytes(checkpoint)) <= 0.5 * AvailableMemoryBytes();
}

absl::Status BringWeightsIn(const frontend::Checkpoint& checkpoint, const ModelFlags& flags) {
  if (!ReadsWeightsIntoMemory(checkpoint, flags)) {
    MapWeightsIn(checkpoint);
    return absl::OkStatus();
  }
  const int64_t total = ShardBytes(checkpoint);
  int64_t done = 0;
  ProgressBar bar("reading weights", ProgressUnit::kBytes);
  for (const auto& file : checkpoint.files()) {
    absl::Status s = file->ReadIntoMemory([&](uint64_t read) { bar.Update(done + static_cast<int64_t>(read), total); });
    if (!s.ok()) return s;
    done += static_cast<int64_t>(file->file_size());
  }
  bar.Finish();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Engine>> OpenEngine(const ModelFlags& flags, int64_t context) {
  if (!flags.artifact_dir.empty()) return OpenArtifactEngine(flags);  // IR + objects from `dsc compile`
  if (flags.model_dir.empty()) return absl::InvalidArgumentError("no model: give -m DIR");
  absl::StatusOr<frontend::LoadOptions> load = LoadOptionsFor(flags, context);
  if (!load.ok()) return load.status();
  frontend::LoadOptions& options = *load;
  auto engine = std::make_unique<Engine>();
  ProgressBar load_bar("loading");  // a TTY only; see progress.h
  options.progress = load_bar.Callback();
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(flags.model_dir, options);
  load_bar.Finish();
  if (!model.ok()) return model.status();
  if (flags.check_weights) {
    ProgressBar check_bar("checking weights", ProgressUnit::kBytes);
    if (absl::Status s = CheckWeightsFinite(*model->checkpoint, check_bar); !s.ok()) return s;
  }
  engine->model = std::move(*model);
  const frontend::LoadedModel* m = &engine->model;
  if (absl::Status s = BringWeightsIn(*m->checkpoint, flags); !s.ok()) return s;
  if (flags.engine == "jit") {
    passes::PassManager pm;
    if (absl::Status s = pm.AddPipeline(passes::DefaultPipeline(*m->module)); !s.ok()) return s;
    if (absl::StatusOr<bool> ran = pm.Run(*m->module); !ran.ok()) return ran.status();
    codegen::JitOptions jit_options;
    if (!flags.target_cpu.empty() || !flags.target_features.empty()) {
      absl::StatusOr<codegen::TargetCpu> target =
          codegen::MakeTargetCpu(flags.target_cpu.empty() ? jit_options.target.cpu : flags.target_cpu, flags.target_features);
      if (!target.ok()) return target.status();
      jit_options.target = *target;
    }
    jit_options.cache_dir = (CacheRoot() / "dsc" / "kernels").string();
    int threads = flags.threads > 0 ? static_cast<int>(flags.threads) : static_cast<int>(std::thread::hardware_concurrency());
    absl::StatusOr<std::unique_ptr<JitLinear>> jit =
        JitLinear::Create(jit_options, threads, flags.activations == "bf16");
    if (!jit.ok()) return jit.status();
    // The kernels a single sequence needs, compiled now under a bar (a TTY only) rather than
    // inside the first forward pass; batch sizes m = 2..8 compile when first used.
    ProgressBar compile_bar("compiling kernels");
    (*jit)->Prepare(JitLinear::SingleSequenceKernels(*m->module), compile_bar.Callback());
    compile_bar.Finish();
    engine->fast_linear = std::move(*jit);
  }
  engine->interpreter = std::make_unique<runtime::Interpreter>(
      *m->module, [m](const ir::TensorRef& ref) { return m->TensorBytes(ref); });
  engine->interpreter->set_fast_linear(engine->fast_linear.get());
  engine->runner = std::make_unique<runtime::ModelRunner>(engine->interpreter.get());
  return engine;
}

absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int32_t id;
    if (!absl::SimpleAtoi(item, &id) || id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": '", std::string(item), "' is not a token id"));
    }
    ids.push_back(id);
  }
  if (ids.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": no token ids given"));
  return ids;
}

}  // namespace dsc::cli
