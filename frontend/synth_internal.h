// Internals of `dsc synth` shared by synth.cc (plan, writer) and synth_fill.cc (tensor bytes).
#ifndef DSC_FRONTEND_SYNTH_INTERNAL_H_
#define DSC_FRONTEND_SYNTH_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "frontend/synth.h"

namespace dsc::frontend::synth_internal {

// splitmix64's finalizer.
uint64_t Mix64(uint64_t z);

// Word `index` of the random stream `key`: splitmix64 at position index + 1. Counter-based, so
// slices of a tensor can be generated independently (and in parallel).
inline uint64_t RandomWord(uint64_t key, uint64_t index) {
  return Mix64(key + (index + 1) * 0x9E3779B97F4A7C15ull);
}

// The stream of tensor `name` under `seed`: Mix64(Mix64(seed) ^ FNV-1a(name)).
uint64_t TensorKey(uint64_t seed, std::string_view name);

// RMS of the synthetic E2M1 values and of the synthetic block scales: a weight's RMS is
// code_rms · scale_rms · weight_scale_2.
double Nvfp4CodeRms();
double Nvfp4ScaleRms();

// The 65536-entry table of encoded values `t` draws from (cached per fill, dtype, mean, sigma).
std::shared_ptr<const std::vector<uint8_t>> TableFor(const SynthTensor& t);

// Writes elements [first, first + count) of `t` into `out` (count · element-size bytes).
void FillElements(const SynthTensor& t, const std::vector<uint8_t>& table, uint64_t first,
                  uint64_t count, uint8_t* out);

}  // namespace dsc::frontend::synth_internal

#endif  // DSC_FRONTEND_SYNTH_INTERNAL_H_
