// oneDNN baselines per layer (see bench_baselines.h).
#include "tools/dsc/bench_baselines.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dnnl.hpp"
#include "numerics/nvfp4.h"
#include "numerics/scalar_formats.h"
#include "runtime/cpu_kernels.h"
#include "runtime/thread_pool.h"
#include "tools/dsc/stopwatch.h"

namespace dsc::cli {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// One NVFP4 matrix [n, k] in the checkpoint's mmap.
struct Matrix {
  const uint8_t* codes = nullptr;
  const uint8_t* scales = nullptr;
  float global_scale = 1;
  int64_t n = 0, k = 0;
};

// Layer of a checkpoint module name "model.layers.L....", -1 otherwise.
int LayerOf(const std::string& name) {
  if (!absl::StartsWith(name, "model.layers.")) return -1;
  const std::string rest = name.substr(13);
  int layer = -1;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find('.')), &layer)) return -1;
  return layer;
}

// The NVFP4 matrices one decode step of `layer` reads: every quantized weight of the layer in
// the decode function; of a stacked expert weight, the first top-k experts (same shapes and
// bytes as the routed ones).
absl::StatusOr<std::vector<Matrix>> LayerMatrices(const Engine& engine, int layer) {
  const ir::Function* decode = engine.model.module->FindFunction("decode");
  if (decode == nullptr) return absl::InvalidArgumentError("the module has no decode function");
  std::vector<Matrix> out;
  std::vector<const ir::Value*> seen;
  for (const auto& op : decode->ops()) {
    for (const ir::Value* v : op->operands()) {
      if (v->kind() != ir::Value::Kind::kConstant || !v->type().is_quantized() || LayerOf(v->name()) != layer) continue;
      if (v->type().format() != ir::QuantFormat::kNvfp4) continue;
      if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
      seen.push_back(v);
      const std::vector<int64_t> shape = v->type().shape().Evaluate({}).value();
      const int64_t n = shape[shape.size() - 2], k = shape.back();
      const int64_t stacked = shape.size() == 3 ? shape[0] : 1;
      const int64_t use = shape.size() == 3 ? std::min<int64_t>(engine.model.config.n_activated_experts, stacked) : 1;
      const size_t per = v->parts().size() / static_cast<size_t>(stacked);
      for (int64_t e = 0; e < use; ++e) {
        Matrix m;
        m.n = n;
        m.k = k;
        absl::StatusOr<const uint8_t*> codes = engine.model.TensorBytes(v->parts()[e * per]);
        absl::StatusOr<const uint8_t*> scales = engine.model.TensorBytes(v->parts()[e * per + 1]);
        absl::StatusOr<const uint8_t*> global = engine.model.TensorBytes(v->parts()[e * per + 2]);
        if (!codes.ok()) return codes.status();
        if (!scales.ok()) return scales.status();
        if (!global.ok()) return global.status();
        m.codes = *codes;
        m.scales = *scales;
        std::memcpy(&m.global_scale, *global, 4);
        out.push_back(m);
      }
    }
  }
  return out;
}

const dnnl::engine& DnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// y[1, n] = x[1, k] · Wᵀ, W [n, k] BF16 row-major.
struct Gemv {
  Gemv(int64_t n, int64_t k)
      : x_md({1, k}, dt::bf16, tag::ab), w_md({k, n}, dt::bf16, tag::ba), y_md({1, n}, dt::f32, tag::ab),
        pd(dnnl::matmul::desc(x_md, w_md, y_md), DnnlEngine()), primitive(pd) {}
  void Run(dnnl::stream& stream, void* x, void* w, float* y) {
    dnnl::memory xm(x_md, DnnlEngine(), x), wm(w_md, DnnlEngine(), w), ym(y_md, DnnlEngine(), y);
    primitive.execute(stream, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
    stream.wait();
  }
  dnnl::memory::desc x_md, w_md, y_md;
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
};

// oneDNN's OpenMP team at the run's thread count (libgomp is loaded with libdnnl).
void SetOmpThreads(int threads) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) fn(threads);
}

void DequantizeToBf16(const Matrix& m, uint16_t* out, runtime::ThreadPool& pool) {
  pool.Run([&](int t) {
    auto [begin, end] = runtime::SplitRows(m.n, pool.size(), t, 1);
    std::vector<float> row(m.k);
    for (int64_t r = begin; r < end; ++r) {
      numerics::DequantizeNvfp4Row(m.codes + r * m.k / 2, m.scales + r * m.k / 16, m.global_scale, m.k, row.data());
      for (int64_t c = 0; c < m.k; ++c) out[r * m.k + c] = numerics::FloatToBf16(row[c]);
    }
  });
}

LayerBaseline Measure(const std::vector<Matrix>& matrices, int threads) {
  LayerBaseline b;
  b.matrices = static_cast<int64_t>(matrices.size());
  int64_t max_n = 0, max_k = 0, total = 0;
  for (const Matrix& m : matrices) {
    b.weight_bytes += static_cast<double>(m.n * m.k / 2 + m.n * m.k / 16 + 4);
    max_n = std::max(max_n, m.n);
    max_k = std::max(max_k, m.k);
    total += m.n * m.k;
  }
  SetOmpThreads(threads);
  runtime::ThreadPool pool(threads);
  dnnl::stream stream(DnnlEngine());
  std::vector<Gemv> gemvs;
  for (const Matrix& m : matrices) gemvs.emplace_back(m.n, m.k);
  std::vector<uint16_t> x(max_k);
  for (int64_t c = 0; c < max_k; ++c) x[c] = numerics::FloatToBf16(0.01f * static_cast<float>((c * 37) % 101 - 50));
  std::vector<float> y(max_n);
  constexpr int kRepeats = 3;
  {  // The seed's method: one scratch BF16 matrix, refilled for every product.
    std::vector<uint16_t> scratch(max_n * max_k);
    double best = 1e30;
    for (int rep = 0; rep < kRepeats; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < matrices.size(); ++i) {
        DequantizeToBf16(matrices[i], scratch.data(), pool);
        gemvs[i].Run(stream, x.data(), scratch.data(), y.data());
      }
      best = std::min(best, SecondsSince(start));
    }
    b.seed_s = best;
  }
  {  // oneDNN BF16 on weights dequantized once (outside the timing).
    std::vector<uint16_t> all(total);
    std::vector<uint16_t*> at;
    int64_t offset = 0;
    for (const Matrix& m : matrices) {
      at.push_back(all.data() + offset);
      DequantizeToBf16(m, at.back(), pool);
      offset += m.n * m.k;
    }
    double best = 1e30;
    for (int rep = 0; rep < kRepeats; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < matrices.size(); ++i) gemvs[i].Run(stream, x.data(), at[i], y.data());
      best = std::min(best, SecondsSince(start));
    }
    b.onednn_bf16_s = best;
  }
  return b;
}

}  // namespace

absl::StatusOr<std::vector<LayerBaseline>> MeasureLayerBaselines(const BenchResult& r, int threads) {
  const frontend::ModelConfig& config = r.engine->model.config;
  std::vector<int> layers;
  for (int64_t l = 0; l < config.n_layers; ++l) {
    if (!config.IsMoeLayer(l)) {
      layers.push_back(static_cast<int>(l));
      break;
    }
  }
  for (int64_t l = 0; l < config.n_layers; ++l) {
    if (config.IsMoeLayer(l)) {
      layers.push_back(static_cast<int>(l));
      break;
    }
  }
  // Ours, from the profiled decode steps.
  const double steps = static_cast<double>(r.profiler->CountPhases("decode"));
  std::vector<LayerBaseline> out;
  for (int layer : layers) {
    absl::StatusOr<std::vector<Matrix>> matrices = LayerMatrices(*r.engine, layer);
    if (!matrices.ok()) return matrices.status();
    if (matrices->empty()) continue;
    LayerBaseline b = Measure(*matrices, threads);
    b.layer = layer;
    b.moe = config.IsMoeLayer(layer);
    for (const runtime::OpEvent& e : r.profiler->events()) {
      if (e.phase < 0 || r.profiler->phases()[e.phase].name != "decode" || e.layer != layer) continue;
      b.ours_layer_s += e.self_seconds / steps;
      bool reads_nvfp4 = false;
      for (const ir::Value* v : e.op->operands()) {
        reads_nvfp4 |= v->kind() == ir::Value::Kind::kConstant && v->type().is_quantized();
      }
      if (reads_nvfp4) b.ours_products_s += e.self_seconds / steps;
    }
    out.push_back(b);
  }
  return out;
}

nlohmann::json BaselinesJson(const std::vector<LayerBaseline>& bs) {
  nlohmann::json out = nlohmann::json::array();
  for (const LayerBaseline& b : bs) {
    out.push_back({{"layer", b.layer},
                   {"kind", b.moe ? "moe" : "dense"},
                   {"matrices", b.matrices},
                   {"nvfp4_bytes", b.weight_bytes},
                   {"ours_layer_s", b.ours_layer_s},
                   {"ours_products_s", b.ours_products_s},
                   {"seed_dequant_bf16_s", b.seed_s},
                   {"onednn_bf16_s", b.onednn_bf16_s},
                   {"speedup_vs_seed", b.ours_products_s > 0 ? b.seed_s / b.ours_products_s : 0},
                   {"speedup_vs_onednn_bf16", b.ours_products_s > 0 ? b.onednn_bf16_s / b.ours_products_s : 0}});
  }
  return out;
}

std::string BaselinesTable(const std::vector<LayerBaseline>& bs) {
  std::string out = "Baselines per decode token (the layer's NVFP4 products, M = 1)\n";
  out += absl::StrFormat("%-12s %5s %10s %12s %14s %14s %14s %9s %9s\n", "layer", "mats", "NVFP4 MB", "ours layer ms",
                         "ours prod. ms", "seed ms", "oneDNN bf16 ms", "vs seed", "vs bf16");
  for (const LayerBaseline& b : bs) {
    out += absl::StrFormat("%-12s %5d %10.2f %12.3f %14.3f %14.3f %14.3f %8.1fx %8.2fx\n",
                           absl::StrCat(b.layer, b.moe ? " (MoE)" : " (dense)"), b.matrices, b.weight_bytes / 1e6,
                           b.ours_layer_s * 1e3, b.ours_products_s * 1e3, b.seed_s * 1e3, b.onednn_bf16_s * 1e3,
                           b.ours_products_s > 0 ? b.seed_s / b.ours_products_s : 0,
                           b.ours_products_s > 0 ? b.onednn_bf16_s / b.ours_products_s : 0);
  }
  out += "(seed = dequantize each NVFP4 matrix to BF16 on every call, then oneDNN BF16 matmul; ours prod. = the\n"
         " layer's ops that read NVFP4 weights, incl. the MLA attention that reads wkv_b; vs = baseline / ours)\n";
  return out;
}

}  // namespace dsc::cli
