// Declarations of the shared flag groups.
#include "tools/dsc/common_flags.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace dsc::cli {

void AddModelFlags(ArgParser& p, ModelFlags* f, bool with_artifact) {
  p.AddString("-m,--model", "DIR", &f->model_dir, "Hugging Face style checkpoint directory");
  if (with_artifact) {
    p.AddString("--artifact", "DIR", &f->artifact_dir,
                "ahead-of-time artifact made by `dsc compile` (no code generation)");
  }
  p.AddString("--config", "FILE", &f->config_file,
              "official inference-style config (dim, n_layers, ...) instead of config.json");
  p.AddChoice("--engine", {"jit", "interp"}, &f->engine,
              "jit: compiled optimized graph; interp: reference interpreter (default jit)");
  p.AddInt("-t,--threads", "N", &f->threads, "worker threads (default: all cores)");
  p.AddString("--target-cpu", "NAME", &f->target_cpu, "JIT target CPU (default: host)");
  p.AddString("--target-features", "+a,-b", &f->target_features, "JIT target feature overrides");
  p.AddChoice("--revision", {"r2", "r1"}, &f->revision,
              "indexer RoPE layout: r2 (V3.2 release, default) or r1 (V3.2-Exp, interleaved)");
  p.AddChoice("--kv-cache", {"fp8", "bf16", "f32"}, &f->kv_cache,
              "MLA latent cache dtype (default fp8, the release's E4M3 round trip)");
  p.AddChoice("--activations", {"f32", "bf16"}, &f->activations,
              "decode products: f32 (default; weights decoded exactly, float32 activations) or "
              "bf16 (the NVFP4 and BF16 GEMVs' activations and MLA decode attention's queries, cached latents "
              "and probabilities rounded to BF16, ~2^-9 relative error per element: faster where the "
              "float32 kernels are compute-bound, e.g. AMD Zen 4; needs AVX-512 BF16, --engine jit)");
  p.AddBool("--check-weights", &f->check_weights,
            "scan every float weight and scale for NaN/Inf at load (reads the whole checkpoint)");
  p.AddBool("--no-mmap", &f->no_mmap,
            "read the weights into memory (2 MiB pages), as by default when the checkpoint takes at "
            "most half of the available memory: decodes faster where page-cache pages stream slower");
  p.AddBool("--mmap", &f->mmap, "map the weights from the files instead (no copy in RAM, faster start)");
}

void AddSamplingFlags(ArgParser& p, SamplingFlags* f) {
  p.AddInt("-n,--n-predict", "N", &f->n_predict, "tokens to generate (default 128)");
  p.AddDouble("--temp", "T", &f->temperature, "temperature; 0 = greedy (default 0.8)");
  p.AddDouble("--top-p", "P", &f->top_p, "nucleus sampling threshold (default 1.0 = off)");
  p.AddInt("--top-k", "K", &f->top_k, "keep the K most likely tokens (default 0 = off)");
  p.AddInt("--seed", "S", &f->seed, "sampling seed (default 0)");
  p.AddString("--stop", "TEXT", &f->stop, "stop when the output contains TEXT");
}

absl::Status CheckModelFlags(const ModelFlags& f) {
  if (f.mmap && f.no_mmap) return absl::InvalidArgumentError("--mmap and --no-mmap: give at most one");
  if (f.activations == "bf16" && f.engine != "jit") {
    return absl::InvalidArgumentError("--activations bf16 needs --engine jit (the reference engine is float32)");
  }
  if (f.activations == "bf16" && !f.artifact_dir.empty()) {
    return absl::InvalidArgumentError("--activations bf16 cannot be used with --artifact (its kernels are float32)");
  }
  if (f.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--threads must be >= 0 (0 = all cores), got ", f.threads));
  }
  return absl::OkStatus();
}

absl::Status CheckSamplingFlags(const SamplingFlags& f) {
  if (f.n_predict < 0) {
    return absl::InvalidArgumentError(absl::StrCat("-n must be >= 0, got ", f.n_predict));
  }
  // !(x >= 0) also rejects NaN, which would otherwise sample silently.
  if (!(f.temperature >= 0) || std::isinf(f.temperature)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--temp must be a finite number >= 0 (0 = greedy), got ", f.temperature));
  }
  if (!(f.top_p > 0 && f.top_p <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--top-p must be in (0, 1], got ", f.top_p));
  }
  if (f.top_k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--top-k must be >= 0 (0 = off), got ", f.top_k));
  }
  return absl::OkStatus();
}

}  // namespace dsc::cli
