// Helpers for the synth and convert tests: run the dsc binary, load and validate a checkpoint,
// dequantize one module to float32 whatever its format, relative RMS differences.
#ifndef DSC_TESTS_UNIT_FRONTEND_SYNTH_TEST_UTIL_H_
#define DSC_TESTS_UNIT_FRONTEND_SYNTH_TEST_UTIL_H_

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "frontend/checkpoint.h"
#include "frontend/model_config.h"
#include "frontend/model_weights.h"
#include "gtest/gtest.h"
#include "numerics/fp8_block.h"
#include "numerics/nvfp4.h"
#include "test_checkpoints.h"

namespace dsc::frontend::synth_test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `dsc <args>`, capturing stdout and stderr.
inline CommandResult RunDscCommand(const std::string& args) {
  test_util::ScratchDir scratch;
  const std::string command =
      std::string(DSC_BINARY) + " " + args + " 2>" + scratch.File("stderr");
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = test_util::ReadBytes(scratch.File("stderr"));
  return result;
}

// A checkpoint opened and validated the way every loader of the project does it.
struct LoadedCheckpoint {
  std::unique_ptr<Checkpoint> checkpoint;
  ModelConfig config;
  std::unique_ptr<ModelWeights> weights;
};

inline absl::StatusOr<LoadedCheckpoint> LoadAndValidate(const std::string& dir) {
  LoadedCheckpoint loaded;
  absl::StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::Open(dir);
  if (!ckpt.ok()) return ckpt.status();
  loaded.checkpoint = *std::move(ckpt);
  absl::StatusOr<ModelConfig> config = LoadHfConfig(dir + "/config.json");
  if (!config.ok()) return config.status();
  loaded.config = *config;
  absl::StatusOr<ModelWeights> weights = ModelWeights::Build(*loaded.checkpoint, loaded.config);
  if (!weights.ok()) return weights.status();
  loaded.weights = std::make_unique<ModelWeights>(*std::move(weights));
  return loaded;
}

// The float32 values of an HF module's weight ("model.layers.0.self_attn.q_a_proj"), decoded
// from NVFP4, FP8 block-128 or a plain dtype. Empty (with a test failure) if it cannot.
inline std::vector<float> DequantizedWeight(const Checkpoint& ckpt, const std::string& module) {
  const TensorView* w = ckpt.Find(module + ".weight");
  if (w == nullptr) {
    ADD_FAILURE() << module << ".weight missing";
    return {};
  }
  if (w->dtype == StDtype::kU8) {
    const TensorView* s = ckpt.Find(module + ".weight_scale");
    const TensorView* s2 = ckpt.Find(module + ".weight_scale_2");
    const int64_t rows = w->shape[0], cols = w->shape[1] * 2;
    std::vector<float> out(static_cast<size_t>(rows * cols));
    float global;
    std::memcpy(&global, s2->data, 4);
    EXPECT_TRUE(numerics::DequantizeNvfp4(w->data, s->data, global, rows, cols, out.data()).ok());
    return out;
  }
  if (w->dtype == StDtype::kF8E4M3) {
    const TensorView* s = ckpt.Find(module + ".weight_scale_inv");
    std::vector<float> scales(static_cast<size_t>(s->numel()));
    std::memcpy(scales.data(), s->data, s->nbytes);
    std::vector<float> out(static_cast<size_t>(w->numel()));
    EXPECT_TRUE(numerics::DequantizeFp8Block(w->data, scales.data(), w->shape[0], w->shape[1],
                                             out.data())
                    .ok());
    return out;
  }
  absl::StatusOr<std::vector<float>> plain = ReadAsFloat32(*w);
  EXPECT_TRUE(plain.ok()) << plain.status();
  return plain.ok() ? *plain : std::vector<float>{};
}

// ‖a − b‖ / ‖b‖ in double.
inline double RelativeRms(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    err += d * d;
    ref += static_cast<double>(b[i]) * b[i];
  }
  return ref > 0 ? std::sqrt(err / ref) : 0.0;
}

inline double Rms(const std::vector<float>& a) {
  double sum = 0.0;
  for (float x : a) sum += static_cast<double>(x) * x;
  return a.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(a.size()));
}

}  // namespace dsc::frontend::synth_test

#endif  // DSC_TESTS_UNIT_FRONTEND_SYNTH_TEST_UTIL_H_
