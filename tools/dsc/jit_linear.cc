// JitLinear: lazily compiled linear kernels behind the interpreter's FastLinear hook.
#include "tools/dsc/jit_linear.h"

#include <cstring>
#include <iostream>

#include "codegen/linear_kernels.h"

namespace dsc::cli {

absl::StatusOr<std::unique_ptr<JitLinear>> JitLinear::Create(codegen::JitOptions options, int threads) {
  absl::StatusOr<std::unique_ptr<codegen::Jit>> jit = codegen::Jit::Create(std::move(options));
  if (!jit.ok()) return jit.status();
  return std::unique_ptr<JitLinear>(new JitLinear(std::move(*jit), threads < 1 ? 1 : threads));
}

// GEMV kernels are specialized to m <= 8 rows (decode, small batches); larger m uses the NVFP4
// prefill GEMM. FP8 has no GEMM kernel yet: those products stay on the reference path.
// (Unvalidated: Kernel calls this on every product and validates only on a cache miss, since
// ValidateSpec builds the kernel's name.)
static std::optional<codegen::LinearKernelSpec> MapSpec(ir::QuantFormat format, int64_t m, int64_t n, int64_t k) {
  codegen::LinearKernelSpec spec;
  spec.n = n;
  spec.k = k;
  if (m <= 8) {
    spec.kind = format == ir::QuantFormat::kNvfp4 ? codegen::LinearKernelKind::kNvfp4Gemv
                                                  : codegen::LinearKernelKind::kFp8Gemv;
    spec.m = m;
  } else if (format == ir::QuantFormat::kNvfp4) {
    spec.kind = codegen::LinearKernelKind::kNvfp4Gemm;
  } else {
    return std::nullopt;
  }
  return spec;
}

std::optional<codegen::LinearKernelSpec> JitLinear::SpecFor(ir::QuantFormat format, int64_t m, int64_t n, int64_t k) {
  std::optional<codegen::LinearKernelSpec> spec = MapSpec(format, m, n, k);
  if (!spec || !codegen::ValidateSpec(*spec).ok()) return std::nullopt;
  return spec;
}

std::tuple<int, int64_t, int64_t, int64_t> JitLinear::Key(const codegen::LinearKernelSpec& spec) {
  return std::make_tuple(static_cast<int>(spec.kind), spec.kind == codegen::LinearKernelKind::kNvfp4Gemm ? 0 : spec.m,
                         spec.n, spec.k);
}

// Over-approximates (a kernel no product ends up using costs only compile time and disk);
// a kernel missing here would make an artifact run that product on the reference path.
std::vector<codegen::LinearKernelSpec> JitLinear::RequiredKernels(const ir::Module& module) {
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, codegen::LinearKernelSpec> specs;
  for (const auto& function : module.functions()) {
    for (const auto& op : function->ops()) {
      // Dequantized weights and embedding tables are not multiplied by a kernel.
      if (op->code() == ir::OpCode::kDequantize || op->code() == ir::OpCode::kEmbedding) continue;
      for (const ir::Value* v : op->operands()) {
        const ir::Type& type = v->type();
        if (!type.is_quantized() || type.rank() < 2) continue;
        const ir::Dim& n = type.shape().at(-2);
        const ir::Dim& k = type.shape().at(-1);
        if (!n.is_static() || !k.is_static()) continue;
        // GEMVs for m = 1..8; 9 stands for every larger m (one GEMM per shape).
        for (int64_t m = 1; m <= 9; ++m) {
          if (std::optional<codegen::LinearKernelSpec> spec = SpecFor(type.format(), m, n.offset(), k.offset())) {
            specs.emplace(Key(*spec), *spec);
          }
        }
      }
    }
  }
  std::vector<codegen::LinearKernelSpec> out;
  for (const auto& [key, spec] : specs) out.push_back(spec);
  return out;
}

void JitLinear::Preload(const codegen::LinearKernelSpec& spec, const dsc_linear_kernel& kernel) {
  kernels_[Key(spec)] = std::make_unique<dsc_linear_kernel>(kernel);
}

const dsc_linear_kernel* JitLinear::Kernel(ir::QuantFormat format, int64_t m, int64_t n, int64_t k) {
  std::optional<codegen::LinearKernelSpec> spec = MapSpec(format, m, n, k);
  if (!spec) return nullptr;
  auto key = Key(*spec);
  auto it = kernels_.find(key);
  if (it != kernels_.end()) return it->second.get();
  std::unique_ptr<dsc_linear_kernel> kernel;
  if (!codegen::ValidateSpec(*spec).ok()) {
    // no kernel for this shape: the reference path
  } else if (!codegen_enabled_) {
    if (missing_kernels_++ == 0) {
      std::cerr << "[dsc] warning: the artifact has no kernel " << spec->Name()
                << "; such products use the reference path\n";
    }
  } else {
    absl::StatusOr<dsc_linear_kernel> compiled = codegen::CompileLinearKernel(*jit_, *spec);
    if (compiled.ok()) {
      kernel = std::make_unique<dsc_linear_kernel>(*compiled);
    } else if (error_.ok()) {
      error_ = compiled.status();
    }
  }
  return (kernels_[key] = std::move(kernel)).get();
}

bool JitLinear::Run(const runtime::QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
                    float* y) {
  if (m <= 0) return false;
  const dsc_linear_kernel* kernel = Kernel(w.format, m, n, k);
  if (kernel == nullptr) return false;
  dsc_linear_args args = {};
  args.x = x;
  args.y = y;
  args.m = m;
  args.ldx = k;
  args.ldy = n;
  if (w.format == ir::QuantFormat::kNvfp4) {
    const uint8_t* const* p = &w.parts[3 * index];
    args.w = p[0];
    args.w_scale = p[1];
    std::memcpy(&args.w_global_scale, p[2], sizeof(float));
  } else {
    const uint8_t* const* p = &w.parts[2 * index];
    args.w = p[0];
    args.w_scale = p[1];
  }
  runtime::RunLinear(pool_, scratch_, *kernel, args);
  return true;
}

}  // namespace dsc::cli
