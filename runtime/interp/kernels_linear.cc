// Reference dense linear layer: one oneDNN f32 matmul per call.
#include "runtime/interp/kernels_linear.h"

#include <algorithm>

#include "oneapi/dnnl/dnnl.hpp"

namespace dsc::runtime::ref {
namespace {

// One CPU engine for the process; oneDNN's own primitive cache makes repeated shapes cheap.
const dnnl::engine& CpuEngine() {
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

}  // namespace

void Linear(const float* x, const float* w, int64_t m, int64_t k, int64_t n, float* y) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    std::fill(y, y + m * n, 0.0f);
    return;
  }
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const dnnl::engine& engine = CpuEngine();
  // W is stored [n, k]; the matmul wants B [k, n], which is W read column-major ("ba").
  dnnl::memory::desc x_md({m, k}, dt::f32, tag::ab);
  dnnl::memory::desc w_md({k, n}, dt::f32, tag::ba);
  dnnl::memory::desc y_md({m, n}, dt::f32, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_md, w_md, y_md), engine);
  dnnl::memory x_mem(x_md, engine, const_cast<float*>(x));
  dnnl::memory w_mem(w_md, engine, const_cast<float*>(w));
  dnnl::memory y_mem(y_md, engine, y);
  dnnl::stream stream(engine);
  dnnl::matmul(pd).execute(stream, {{DNNL_ARG_SRC, x_mem},
                                    {DNNL_ARG_WEIGHTS, w_mem},
                                    {DNNL_ARG_DST, y_mem}});
  stream.wait();
}

}  // namespace dsc::runtime::ref
