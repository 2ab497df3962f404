// JitLinear: lazily compiled linear kernels behind the interpreter's FastLinear hook.
#include "tools/dsc/jit_linear.h"

#include <cstring>
#include <tuple>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "codegen/linear_kernels.h"

namespace dsc::cli {

absl::StatusOr<std::unique_ptr<JitLinear>> JitLinear::Create(codegen::JitOptions options, int threads,
                                                             bool bf16_activations) {
  if (bf16_activations && !options.target.Has("avx512bf16")) {
    return absl::InvalidArgumentError(absl::StrCat("--activations bf16 needs AVX-512 BF16, which the target ",
                                                   options.target.ToString(), " lacks"));
  }
  absl::StatusOr<std::unique_ptr<codegen::Jit>> jit = codegen::Jit::Create(std::move(options));
  if (!jit.ok()) return jit.status();
  return std::unique_ptr<JitLinear>(new JitLinear(std::move(*jit), threads < 1 ? 1 : threads, bf16_activations));
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

std::optional<codegen::LinearKernelSpec> JitLinear::DenseSpecFor(ir::DType dtype, int64_t m, int64_t n, int64_t k) {
  if (dtype != ir::DType::kBF16 || m < 1 || m > 8) return std::nullopt;
  codegen::LinearKernelSpec spec;
  spec.kind = codegen::LinearKernelKind::kBf16Gemv;
  spec.m = m;
  spec.n = n;
  spec.k = k;
  return spec;
}

// The kernels that are not products: one call, m = 1, shape (n, k).
static codegen::LinearKernelSpec NonLinearSpec(codegen::LinearKernelKind kind, int64_t n, int64_t k) {
  codegen::LinearKernelSpec spec;
  spec.kind = kind;
  spec.m = 1;
  spec.n = n;
  spec.k = k;
  return spec;
}

codegen::LinearKernelSpec JitLinear::NormSpecFor(int64_t dim) {
  return NonLinearSpec(codegen::LinearKernelKind::kRmsNorm, dim, dim);
}

codegen::LinearKernelSpec JitLinear::LayerNormSpecFor(int64_t dim) {
  return NonLinearSpec(codegen::LinearKernelKind::kLayerNorm, dim, dim);
}

codegen::LinearKernelSpec JitLinear::IndexerScoresSpec(int64_t heads, int64_t d) {
  return NonLinearSpec(codegen::LinearKernelKind::kIndexerScores, heads, d);
}

codegen::LinearKernelSpec JitLinear::MlaAttentionSpec(int64_t rank) {
  return NonLinearSpec(codegen::LinearKernelKind::kMlaAttention, rank, rank);
}

codegen::LinearKernelSpec JitLinear::AttentionBlockSpec(int64_t d, int64_t dv) {
  return NonLinearSpec(codegen::LinearKernelKind::kAttentionBlock, dv, d);
}

codegen::LinearKernelSpec JitLinear::IndexerBlockSpec(int64_t d) {
  return NonLinearSpec(codegen::LinearKernelKind::kIndexerBlock, d, d);
}

codegen::LinearKernelSpec JitLinear::SwiGluSpec() {
  return NonLinearSpec(codegen::LinearKernelKind::kSwiGlu, 1, 1);
}

codegen::LinearKernelSpec JitLinear::TopkMaskSpec() {
  return NonLinearSpec(codegen::LinearKernelKind::kTopkMask, 1, 1);
}

// Over-approximates (a kernel no product ends up using costs only compile time and disk);
// a kernel missing here would make an artifact run that product on the reference path.
std::vector<codegen::LinearKernelSpec> JitLinear::RequiredKernels(const ir::Module& module) {
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, codegen::LinearKernelSpec> specs;
  auto add = [&](const std::optional<codegen::LinearKernelSpec>& spec) {
    if (spec && codegen::ValidateSpec(*spec).ok()) specs.emplace(Key(*spec), *spec);
  };
  auto static_dims = [](const ir::Type& type, int64_t* n, int64_t* k) {
    if (type.rank() < 2 || !type.shape().at(-2).is_static() || !type.shape().at(-1).is_static()) return false;
    *n = type.shape().at(-2).offset();
    *k = type.shape().at(-1).offset();
    return true;
  };
  for (const auto& function : module.functions()) {
    for (const auto& op : function->ops()) {
      // Dequantized weights and embedding tables are not multiplied by a kernel.
      if (op->code() == ir::OpCode::kDequantize || op->code() == ir::OpCode::kEmbedding) continue;
      for (const ir::Value* v : op->operands()) {
        int64_t n = 0, k = 0;
        if (!static_dims(v->type(), &n, &k)) continue;
        if (v->type().is_quantized()) {
          // Run: GEMVs for m = 1..8; 9 stands for every larger m (one GEMM per shape).
          for (int64_t m = 1; m <= 9; ++m) add(MapSpec(v->type().format(), m, n, k));
        } else if (v->kind() == ir::Value::Kind::kConstant) {
          // RunDense: dense weights read in place (blocks of up to 8 rows).
          for (int64_t m = 1; m <= 8; ++m) add(DenseSpecFor(v->type().dtype(), m, n, k));
        }
      }
      if (op->code() == ir::OpCode::kIndexerScore && op->num_operands() >= 1) {
        const ir::Shape& q = op->operand(0)->type().shape();  // [S, H, d]
        if (q.rank() == 3 && q.at(1).is_static() && q.at(2).is_static()) {
          add(IndexerScoresSpec(q.at(1).offset(), q.at(2).offset()));
          add(IndexerBlockSpec(q.at(2).offset()));
        }
      }
      switch (op->code()) {
        case ir::OpCode::kSwiglu: case ir::OpCode::kGateUpSwiglu: case ir::OpCode::kMoeExperts:
        case ir::OpCode::kMoeDecode: case ir::OpCode::kMoeGrouped:
          add(SwiGluSpec());
          break;
        case ir::OpCode::kSparseTopkMask:
          add(TopkMaskSpec());
          break;
        default:
          break;
      }
      if (op->code() == ir::OpCode::kAttention && op->num_operands() >= 3) {
        const ir::Shape& q = op->operand(0)->type().shape();  // [S, H, d]
        const ir::Shape& v = op->operand(2)->type().shape();  // [T, H, dv]
        if (q.rank() == 3 && v.rank() == 3 && q.at(2).is_static() && v.at(2).is_static()) {
          add(AttentionBlockSpec(q.at(2).offset(), v.at(2).offset()));
        }
      }
      if ((op->code() == ir::OpCode::kRmsNorm || op->code() == ir::OpCode::kAddRmsNorm) && op->num_operands() >= 1) {
        const ir::Shape& x = op->operand(0)->type().shape();
        if (x.rank() >= 1 && x.at(-1).is_static()) add(NormSpecFor(x.at(-1).offset()));
      }
      if (op->code() == ir::OpCode::kLayerNorm && op->num_operands() >= 1) {
        const ir::Shape& x = op->operand(0)->type().shape();
        if (x.rank() >= 1 && x.at(-1).is_static()) add(LayerNormSpecFor(x.at(-1).offset()));
      }
      // The fast MLA decode path's q̃ = W_UKᵀ q_nope: a BF16 GEMV of [R, d_n] per head
      // (runtime/interp/eval_mla_fast.cc), R = kv's columns, d_n = q_nope's last dim.
      if (op->code() == ir::OpCode::kMlaDecodeAttention && op->num_operands() >= 3) {
        const ir::Shape& q = op->operand(0)->type().shape();
        const ir::Shape& kv = op->operand(2)->type().shape();
        if (q.rank() == 3 && kv.rank() == 2 && q.at(2).is_static() && kv.at(1).is_static()) {
          add(DenseSpecFor(ir::DType::kBF16, 1, kv.at(1).offset(), q.at(2).offset()));
        }
        if (kv.rank() == 2 && kv.at(1).is_static()) add(MlaAttentionSpec(kv.at(1).offset()));
      }
    }
  }
  std::vector<codegen::LinearKernelSpec> out;
  for (const auto& [key, spec] : specs) out.push_back(spec);
  return out;
}

std::vector<codegen::LinearKernelSpec> JitLinear::SingleSequenceKernels(const ir::Module& module) {
  std::vector<codegen::LinearKernelSpec> out;
  for (const codegen::LinearKernelSpec& spec : RequiredKernels(module)) {
    if (spec.m == 1 || spec.kind == codegen::LinearKernelKind::kNvfp4Gemm) out.push_back(spec);
  }
  return out;
}

void JitLinear::Prepare(const std::vector<codegen::LinearKernelSpec>& specs,
                        const std::function<void(int64_t done, int64_t total)>& progress) {
  const int64_t total = static_cast<int64_t>(specs.size());
  for (int64_t i = 0; i < total; ++i) {
    KernelFor(specs[i]);  // a failure is kept in error() and that product uses the reference
    if (progress) progress(i + 1, total);
  }
}

void JitLinear::Preload(const codegen::LinearKernelSpec& spec, const dsc_linear_kernel& kernel) {
  std::lock_guard<std::mutex> lock(mu_);
  kernels_[Key(spec)] = std::make_unique<dsc_linear_kernel>(kernel);
}

const dsc_linear_kernel* JitLinear::Kernel(ir::QuantFormat format, int64_t m, int64_t n, int64_t k) {
  std::optional<codegen::LinearKernelSpec> spec = MapSpec(format, m, n, k);
  if (!spec) return nullptr;
  return KernelFor(*spec);
}

// Dense weights: BF16 GEMV for m <= 8 (RunDense splits larger m into blocks of 8).
const dsc_linear_kernel* JitLinear::DenseKernel(ir::DType dtype, int64_t m, int64_t n, int64_t k) {
  std::optional<codegen::LinearKernelSpec> spec = DenseSpecFor(dtype, m, n, k);
  return spec ? KernelFor(*spec) : nullptr;
}

const dsc_linear_kernel* JitLinear::KernelFor(const codegen::LinearKernelSpec& spec_in) {
  std::lock_guard<std::mutex> lock(mu_);
  // One activation precision per engine, so the cache key need not hold it.
  codegen::LinearKernelSpec adapted = spec_in;
  adapted.bf16_activations = bf16_activations_ && (spec_in.kind == codegen::LinearKernelKind::kNvfp4Gemv ||
                                                   spec_in.kind == codegen::LinearKernelKind::kBf16Gemv);
  const codegen::LinearKernelSpec* spec = &adapted;
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
  runtime::RunLinear(pool_, scratch_, *kernel, Args(&w, index, nullptr, n, k, x, m, y));
  return true;
}

bool JitLinear::RmsNorm(const float* x, const float* residual, float* sum, const float* weight, int64_t rows,
                        int64_t dim, float eps, float* y) {
  if (rows <= 0 || dim <= 0 || (residual == nullptr) != (sum == nullptr)) return false;
  const dsc_linear_kernel* kernel = KernelFor(NormSpecFor(dim));
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_RMS_NORM) return false;
  const dsc_rms_norm_args args = {x, residual, sum, weight, y, rows, eps, 0};
  reinterpret_cast<dsc_rms_norm_fn>(kernel->fn)(&args);
  return true;
}

bool JitLinear::LayerNorm(const float* x, const float* gamma, const float* beta, int64_t rows,
                          int64_t dim, float eps, float* y) {
  if (rows <= 0 || dim <= 0) return false;
  const dsc_linear_kernel* kernel = KernelFor(LayerNormSpecFor(dim));
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_LAYER_NORM) return false;
  const dsc_layer_norm_args args = {x, gamma, beta, y, rows, eps, 0};
  reinterpret_cast<dsc_layer_norm_fn>(kernel->fn)(&args);
  return true;
}

bool JitLinear::IndexerRowScores(const float* qt, const float* wv, const float* k, const float* k_scale,
                                 int64_t heads, int64_t d, float scale, int64_t begin, int64_t end, float* out) {
  if (heads <= 0 || d <= 0 || begin > end) return false;
  const dsc_linear_kernel* kernel = KernelFor(IndexerScoresSpec(heads, d));  // begin == end: compiles it now
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_INDEXER_SCORES) return false;
  const dsc_indexer_scores_args args = {qt, wv, k, k_scale, out, begin, end, scale, 0};
  if (begin < end) reinterpret_cast<dsc_indexer_scores_fn>(kernel->fn)(&args);
  return true;
}

dsc_mla_attention_fn JitLinear::MlaAttention(int64_t rank) {
  if (rank <= 0) return nullptr;
  const dsc_linear_kernel* kernel = KernelFor(MlaAttentionSpec(rank));
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_MLA_ATTENTION) return nullptr;
  return reinterpret_cast<dsc_mla_attention_fn>(kernel->fn);
}

dsc_attention_block_fn JitLinear::AttentionBlock(int64_t d, int64_t dv) {
  if (d <= 0 || dv <= 0) return nullptr;
  const dsc_linear_kernel* kernel = KernelFor(AttentionBlockSpec(d, dv));
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_ATTENTION_BLOCK) return nullptr;
  return reinterpret_cast<dsc_attention_block_fn>(kernel->fn);
}

dsc_indexer_block_fn JitLinear::IndexerBlock(int64_t d) {
  if (d <= 0) return nullptr;
  const dsc_linear_kernel* kernel = KernelFor(IndexerBlockSpec(d));
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_INDEXER_BLOCK) return nullptr;
  return reinterpret_cast<dsc_indexer_block_fn>(kernel->fn);
}

dsc_swiglu_fn JitLinear::SwiGlu() {
  const dsc_linear_kernel* kernel = KernelFor(SwiGluSpec());
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_SWIGLU) return nullptr;
  return reinterpret_cast<dsc_swiglu_fn>(kernel->fn);
}

dsc_topk_mask_fn JitLinear::TopkMask() {
  const dsc_linear_kernel* kernel = KernelFor(TopkMaskSpec());
  if (kernel == nullptr || kernel->info.format != DSC_KERNEL_TOPK_MASK) return nullptr;
  return reinterpret_cast<dsc_topk_mask_fn>(kernel->fn);
}

dsc_linear_args JitLinear::Args(const runtime::QuantView* quant, int64_t index, const uint8_t* dense, int64_t n,
                                int64_t k, const float* x, int64_t m, float* y) {
  dsc_linear_args args = {};
  args.x = x;
  args.y = y;
  args.m = m;
  args.ldx = k;
  args.ldy = n;
  SetWeight(quant, index, dense, &args);
  return args;
}

void JitLinear::SetWeight(const runtime::QuantView* quant, int64_t index, const uint8_t* dense, dsc_linear_args* args) {
  if (quant == nullptr) {
    args->w = dense;
  } else if (quant->format == ir::QuantFormat::kNvfp4) {
    const uint8_t* const* p = &quant->parts[3 * index];
    args->w = p[0];
    args->w_scale = p[1];
    std::memcpy(&args->w_global_scale, p[2], sizeof(float));
  } else {
    const uint8_t* const* p = &quant->parts[2 * index];
    args->w = p[0];
    args->w_scale = p[1];
  }
}

bool JitLinear::RunDense(ir::DType dtype, const uint8_t* w, int64_t n, int64_t k, const float* x, int64_t m,
                         float* y) {
  if (m <= 0 || DenseKernel(dtype, std::min<int64_t>(m, 8), n, k) == nullptr) return false;
  // Blocks of up to 8 activation rows (prefill re-reads the matrix once per block).
  for (int64_t i = 0; i < m; i += 8) {
    const int64_t rows = std::min<int64_t>(8, m - i);
    const dsc_linear_kernel* kernel = DenseKernel(dtype, rows, n, k);
    if (kernel == nullptr) return false;  // only if compiling the tail block failed: y is then redone
    dsc_linear_args args = {};
    args.x = x + i * k;
    args.y = y + i * n;
    args.m = rows;
    args.ldx = k;
    args.ldy = n;
    args.w = w;
    runtime::RunLinear(pool_, scratch_, *kernel, args);
  }
  return true;
}

bool JitLinear::RunRows(const runtime::QuantView* quant, int64_t index, ir::DType dtype, const uint8_t* dense,
                        int64_t n, int64_t k, const float* x, int64_t m, float* y, int64_t row_begin, int64_t row_end,
                        int thread) {
  if (m <= 0 || m > 8 || thread < 0 || thread >= pool_.size()) return false;
  const dsc_linear_kernel* kernel = quant != nullptr ? Kernel(quant->format, m, n, k) : DenseKernel(dtype, m, n, k);
  if (kernel == nullptr || kernel->info.m_static != m) return false;
  dsc_linear_args args = Args(quant, index, dense, n, k, x, m, y);
  args.row_begin = row_begin;
  args.row_end = row_end;
  args.scratch = scratch_.Get(thread, dsc_kernel_scratch_bytes(&kernel->info, m));
  if (row_begin < row_end) kernel->fn(&args);
  return true;
}

}  // namespace dsc::cli
