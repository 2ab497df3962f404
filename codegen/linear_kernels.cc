// Spec validation, naming, and the emit → JIT → lookup path for linear kernels.
#include "codegen/linear_kernels.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "codegen/kernel_builder.h"
#include "codegen/linear_emitters.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

namespace dsc::codegen {
namespace {

const char* KindName(LinearKernelKind kind) {
  switch (kind) {
    case LinearKernelKind::kNvfp4Gemv:
      return "nvfp4_gemv";
    case LinearKernelKind::kFp8Gemv:
      return "fp8_gemv";
    case LinearKernelKind::kNvfp4Gemm:
      return "nvfp4_gemm";
    case LinearKernelKind::kBf16Gemv:
      return "bf16_gemv";
    case LinearKernelKind::kRmsNorm:
      return "rms_norm";
    case LinearKernelKind::kIndexerScores:
      return "indexer_scores";
    case LinearKernelKind::kMlaAttention:
      return "mla_attention";
    case LinearKernelKind::kAttentionBlock:
      return "attention_block";
    case LinearKernelKind::kIndexerBlock:
      return "indexer_block";
    case LinearKernelKind::kSwiGlu:
      return "swiglu";
    case LinearKernelKind::kLayerNorm:
      return "layer_norm";
    case LinearKernelKind::kTopkMask:
      return "topk_mask";
  }
  return "?";
}

}  // namespace

std::string LinearKernelSpec::Name() const {
  if (kind == LinearKernelKind::kRmsNorm) return absl::StrCat("dsc_rms_norm_d", k);
  if (kind == LinearKernelKind::kLayerNorm) return absl::StrCat("dsc_layer_norm_d", k);
  if (kind == LinearKernelKind::kIndexerScores) return absl::StrCat("dsc_indexer_scores_h", n, "_d", k);
  if (kind == LinearKernelKind::kMlaAttention) return absl::StrCat("dsc_mla_attention_r", k);
  if (kind == LinearKernelKind::kAttentionBlock) return absl::StrCat("dsc_attention_block_d", k, "_v", n);
  if (kind == LinearKernelKind::kIndexerBlock) return absl::StrCat("dsc_indexer_block_d", k);
  if (kind == LinearKernelKind::kSwiGlu) return "dsc_swiglu";
  if (kind == LinearKernelKind::kTopkMask) return "dsc_topk_mask";
  std::string name = absl::StrCat("dsc_", KindName(kind));
  if (kind != LinearKernelKind::kNvfp4Gemm) absl::StrAppend(&name, "_m", m);
  absl::StrAppend(&name, "_n", n, "_k", k);
  if (rows_per_iteration > 0) absl::StrAppend(&name, "_r", rows_per_iteration);
  if (prefetch_distance >= 0) absl::StrAppend(&name, "_p", prefetch_distance);
  if (x_block_bytes > 0) absl::StrAppend(&name, "_xb", x_block_bytes);
  if (adjacent_rows) absl::StrAppend(&name, "_adj");
  if (gemm_mr > 0) absl::StrAppend(&name, "_mr", gemm_mr);
  if (gemm_nr_vectors > 0) absl::StrAppend(&name, "_nv", gemm_nr_vectors);
  if (gemm_kc > 0) absl::StrAppend(&name, "_kc", gemm_kc);
  if (bf16_activations) absl::StrAppend(&name, "_xbf16");
  return name;
}

absl::Status ValidateSpec(const LinearKernelSpec& spec) {
  const std::string what = spec.Name();
  if (spec.n <= 0 || spec.k <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": n and k must be positive"));
  }
  if (spec.kind == LinearKernelKind::kRmsNorm || spec.kind == LinearKernelKind::kIndexerScores ||
      spec.kind == LinearKernelKind::kMlaAttention ||
      spec.kind == LinearKernelKind::kAttentionBlock ||
      spec.kind == LinearKernelKind::kIndexerBlock || spec.kind == LinearKernelKind::kSwiGlu ||
      spec.kind == LinearKernelKind::kLayerNorm || spec.kind == LinearKernelKind::kTopkMask) {
    const bool tuned = spec.rows_per_iteration != 0 || spec.prefetch_distance != -1 || spec.x_block_bytes != 0 ||
                       spec.adjacent_rows ||
                       spec.gemm_mr != 0 || spec.gemm_nr_vectors != 0 || spec.gemm_kc != 0 || spec.bf16_activations;
    // A norm's rows have n == k columns, MLA's rank and the indexer block's head dim are n == k
    // (SwiGLU's length and the top-k mask's row length and k are arguments: n == k == 1); the
    // indexer takes any heads (n) and head dim (k), prefill attention any value (n) and head
    // (k) dims.
    const bool shaped =
        spec.kind == LinearKernelKind::kIndexerScores ||
        spec.kind == LinearKernelKind::kAttentionBlock ||
        (spec.n == spec.k &&
         ((spec.kind != LinearKernelKind::kSwiGlu && spec.kind != LinearKernelKind::kTopkMask) ||
          spec.n == 1));
    if (spec.m != 1 || !shaped || tuned) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": a kernel that is not a product has m = 1, no knobs, and (a norm, MLA, an indexer block) n = k"));
    }
    return absl::OkStatus();
  }
  const bool nvfp4 = spec.kind == LinearKernelKind::kNvfp4Gemv || spec.kind == LinearKernelKind::kNvfp4Gemm;
  if (nvfp4 && spec.k % 16 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": NVFP4 needs k to be a multiple of 16, got ", spec.k));
  }
  if (spec.kind != LinearKernelKind::kNvfp4Gemm && (spec.m < 1 || spec.m > 8)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": GEMV m must be in 1..8, got ", spec.m));
  }
  if (spec.rows_per_iteration < 0 || spec.rows_per_iteration > 8) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": rows_per_iteration must be 0..8"));
  }
  if (spec.x_block_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": x_block_bytes must be >= 0"));
  }
  if (spec.gemm_mr < 0 || spec.gemm_mr > 16 || spec.gemm_nr_vectors < 0 ||
      spec.gemm_nr_vectors > 8 || spec.gemm_kc < 0 || spec.gemm_kc % 128 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": GEMM tiles need mr <= 16, nr_vectors <= 8, kc % 128 == 0"));
  }
  if (spec.bf16_activations && spec.kind != LinearKernelKind::kNvfp4Gemv &&
      spec.kind != LinearKernelKind::kBf16Gemv) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": BF16 activations exist only for the NVFP4 and BF16 GEMVs"));
  }
  if (spec.adjacent_rows && spec.kind != LinearKernelKind::kNvfp4Gemv) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": adjacent_rows is an NVFP4 GEMV knob"));
  }
  return absl::OkStatus();
}

absl::StatusOr<dsc_kernel_info> EmitLinearKernel(const LinearKernelSpec& spec,
                                                 const TargetCpu& target, llvm::Module& module) {
  if (absl::Status s = ValidateSpec(spec); !s.ok()) return s;
  if (module.getFunction(spec.Name()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat(spec.Name(), " is already in the module"));
  }
  KernelBuilder kb(module, target);
  if (spec.bf16_activations && (kb.isa() != Isa::kAvx512 || !target.Has("avx512bf16"))) {
    return absl::FailedPreconditionError(absl::StrCat(
        spec.Name(), ": BF16 activations need AVX-512 BF16, which ", target.ToString(), " lacks"));
  }
  switch (spec.kind) {
    case LinearKernelKind::kNvfp4Gemv:
      if (spec.bf16_activations) return EmitNvfp4GemvBf16Act(kb, spec);
      return EmitNvfp4Gemv(kb, spec);
    case LinearKernelKind::kFp8Gemv:
      return EmitFp8Gemv(kb, spec);
    case LinearKernelKind::kNvfp4Gemm:
      return EmitNvfp4Gemm(kb, spec);
    case LinearKernelKind::kBf16Gemv:
      return EmitBf16Gemv(kb, spec);
    case LinearKernelKind::kRmsNorm:
      return EmitRmsNorm(kb, spec);
    case LinearKernelKind::kIndexerScores:
      return EmitIndexerScores(kb, spec);
    case LinearKernelKind::kMlaAttention:
      return EmitMlaAttention(kb, spec);
    case LinearKernelKind::kAttentionBlock:
      return EmitAttentionBlock(kb, spec);
    case LinearKernelKind::kIndexerBlock:
      return EmitIndexerBlock(kb, spec);
    case LinearKernelKind::kSwiGlu:
      return EmitSwiGlu(kb, spec);
    case LinearKernelKind::kLayerNorm:
      return EmitLayerNorm(kb, spec);
    case LinearKernelKind::kTopkMask:
      return EmitTopkMask(kb, spec);
  }
  return absl::InvalidArgumentError("unknown linear kernel kind");
}

absl::StatusOr<std::vector<dsc_linear_kernel>> CompileLinearKernels(
    Jit& jit, const std::vector<LinearKernelSpec>& specs, const std::string& module_name) {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>(module_name, *context);
  jit.ConfigureModule(*module);
  std::vector<dsc_linear_kernel> kernels(specs.size());
  std::set<std::string> emitted;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!emitted.insert(specs[i].Name()).second) continue;  // the same kernel twice
    absl::StatusOr<dsc_kernel_info> info = EmitLinearKernel(specs[i], jit.target(), *module);
    if (!info.ok()) return info.status();
    kernels[i].info = *info;
  }
  if (absl::Status s = jit.AddModule(std::move(module), std::move(context)); !s.ok()) return s;
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StatusOr<void*> address = jit.Lookup(specs[i].Name());
    if (!address.ok()) return address.status();
    kernels[i].fn = reinterpret_cast<dsc_linear_fn>(*address);
    if (kernels[i].info.abi_version == 0) {
      for (size_t j = 0; j < i; ++j) {
        if (specs[j].Name() == specs[i].Name()) kernels[i].info = kernels[j].info;
      }
    }
  }
  return kernels;
}

absl::StatusOr<dsc_linear_kernel> CompileLinearKernel(Jit& jit, const LinearKernelSpec& spec) {
  absl::StatusOr<std::vector<dsc_linear_kernel>> kernels =
      CompileLinearKernels(jit, {spec}, spec.Name());
  if (!kernels.ok()) return kernels.status();
  return (*kernels)[0];
}

absl::StatusOr<std::string> LinearKernelIr(const LinearKernelSpec& spec, const TargetCpu& target) {
  llvm::LLVMContext context;
  llvm::Module module(spec.Name(), context);
  absl::StatusOr<dsc_kernel_info> info = EmitLinearKernel(spec, target, module);
  if (!info.ok()) return info.status();
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return os.str();
}

}  // namespace dsc::codegen
