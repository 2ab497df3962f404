// Throughput of the AVX-512 instructions the NVFP4 GEMV is made of, alone and mixed: which of
// them share execution ports on this CPU, so how many cycles a 128-weight chunk must take.
//
// Each benchmark runs an inline-asm loop of rounds; a round issues 8 instructions of each named
// kind (the two gemv_* mixes: one chunk's worth), every instruction on its own register (8 independent chains per kind, more than any
// latency here needs), so the time per round is the port-throughput bound of the mix. If two
// kinds share no port, "a+b" takes as long as the slower alone; if they share all, the sum.
// Counter `ns/round` (and `zmm_ops/ns`); nothing here reads memory except `load`.
//
//   build/release/bench/vector_ports_bench
//
// On Zen 4 (2026-11-27, BENCHMARKS.md) every kind below runs 1 zmm instruction per cycle alone;
// vpermps + FMA together take 1.44x either alone, and a shift added to them is nearly free,
// while vpmultishiftqb and vpmulhuw conflict with the FMA: the GEMV's 8 lookups + 9 FMAs + 4
// shifts per chunk and row cost ~12 cycles at best.
#include <chrono>
#include <cstdio>

#include "benchmark/benchmark.h"

namespace {

#define DSC_R4(op, base) op(base##0) op(base##1) op(base##2) op(base##3)
#define DSC_R2(op, base) op(base##0) op(base##1)
#define DSC_R8(op, base) DSC_R4(op, base) op(base##4) op(base##5) op(base##6) op(base##7)
// Register groups: kind 1 uses zmm0-7, kind 2 zmm10-17, kind 3 zmm20-27; zmm30/31 are operands.
#define PERM(r) "vpermps %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define FMA(r) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define SHIFT(r) "vpsrld $4, %%zmm" #r ", %%zmm" #r "\n\t"
#define MSHIFT(r) "vpmultishiftqb %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define MULHUW(r) "vpmulhuw %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define AND(r) "vpandd %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define DPBF16(r) "vdpbf16ps %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define LOAD(r) "vmovaps (%1), %%zmm" #r "\n\t"
#define PERMW(r) "vpermw %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define SHIFTW(r) "vpsrlw $4, %%zmm" #r ", %%zmm" #r "\n\t"
#define MUL(r) "vmulps %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define ADD(r) "vaddps %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define DPBUSD(r) "vpdpbusd %%zmm30, %%zmm31, %%zmm" #r "\n\t"
#define PERMB(r) "vpermb %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define SHIFTL(r) "vpslld $8, %%zmm" #r ", %%zmm" #r "\n\t"
#define ADDD(r) "vpaddd %%zmm31, %%zmm" #r ", %%zmm" #r "\n\t"
#define CVT(r) "vcvtdq2ps %%zmm" #r ", %%zmm" #r "\n\t"
#define BCSTMUL(r) "vmulps (%1)%{1to16%}, %%zmm31, %%zmm" #r "\n\t"

#define DSC_CLOBBERS                                                                         \
  "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",  \
      "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", \
      "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27"

alignas(64) float g_line[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// Runs `rounds` rounds of `body` (asm text); returns seconds.
#define DSC_LOOP(body)                                                                    \
  [](long rounds) __attribute__((target("avx512f"))) {                                    \
    const auto start = std::chrono::steady_clock::now();                                  \
    long i = rounds;                                                                      \
    __asm__ volatile("1:\n\t" body "dec %0\n\tjnz 1b" : "+r"(i) : "r"(g_line) : DSC_CLOBBERS); \
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); \
  }

struct Mix {
  const char* name;
  int instructions;  // per round
  double (*run)(long rounds);
};

const Mix kMixes[] = {
    {"perm", 8, DSC_LOOP(DSC_R8(PERM, ))},
    {"fma", 8, DSC_LOOP(DSC_R8(FMA, ))},
    {"shift", 8, DSC_LOOP(DSC_R8(SHIFT, ))},
    {"multishift", 8, DSC_LOOP(DSC_R8(MSHIFT, ))},
    {"and", 8, DSC_LOOP(DSC_R8(AND, ))},
    {"dpbf16", 8, DSC_LOOP(DSC_R8(DPBF16, ))},
    {"load", 8, DSC_LOOP(DSC_R8(LOAD, ))},
    {"perm+fma", 16, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1))},
    {"perm+shift", 16, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(SHIFT, 1))},
    {"fma+shift", 16, DSC_LOOP(DSC_R8(FMA, ) DSC_R8(SHIFT, 1))},
    {"fma+multishift", 16, DSC_LOOP(DSC_R8(FMA, ) DSC_R8(MSHIFT, 1))},
    {"fma+mulhuw", 16, DSC_LOOP(DSC_R8(FMA, ) DSC_R8(MULHUW, 1))},
    {"perm+dpbf16", 16, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(DPBF16, 1))},
    {"perm+fma+shift", 24, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1) DSC_R8(SHIFT, 2))},
    {"perm+fma+multishift", 24, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1) DSC_R8(MSHIFT, 2))},
    {"perm+fma+and", 24, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1) DSC_R8(AND, 2))},
    {"perm+fma+load", 24, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1) DSC_R8(LOAD, 2))},
    // The latent attention (compiled without FMA contraction, bit-identical to the reference):
    // a product and a separate add per multiply-accumulate.
    {"mul", 8, DSC_LOOP(DSC_R8(MUL, ))},
    {"add", 8, DSC_LOOP(DSC_R8(ADD, ))},
    {"mul+add", 16, DSC_LOOP(DSC_R8(MUL, ) DSC_R8(ADD, 1))},
    {"bcstmul+add", 16, DSC_LOOP(DSC_R8(BCSTMUL, ) DSC_R8(ADD, 1))},
    // One 128-weight chunk of one row, the instructions only (no loads): the float32 GEMV
    // (8 E2M1 lookups, 8 products + 1 block-scale FMA, 4 shifts for the odd nibbles) ...
    // Candidates for a faster float32-exact GEMV (2026-11-28, BENCHMARKS.md), neither built:
    // activations as three int8 limbs per 16-column block, weights as int8 by vpermb, 6
    // vpdpbusd + limb recombination + 1 scale FMA per chunk ...
    {"dpbusd", 8, DSC_LOOP(DSC_R8(DPBUSD, ))},
    {"permb", 8, DSC_LOOP(DSC_R8(PERMB, ))},
    {"addd", 8, DSC_LOOP(DSC_R8(ADDD, ))},
    {"cvt", 8, DSC_LOOP(DSC_R8(CVT, ))},
    {"dpbusd+fma", 16, DSC_LOOP(DSC_R8(DPBUSD, ) DSC_R8(FMA, 1))},
    {"dpbusd+permb", 16, DSC_LOOP(DSC_R8(DPBUSD, ) DSC_R8(PERMB, 1))},
    {"gemv_int8_chunk", 18,
     DSC_LOOP(DSC_R2(PERMB, ) SHIFTW(2) DSC_R4(DPBUSD, 1) DPBUSD(14) DPBUSD(15) SHIFTL(20) SHIFTL(21)
              ADDD(22) ADDD(23) ADDD(24) CVT(25) MUL(26) FMA(18))},
    // ... and weight rows in the lanes (a repacked layout): per column a 16-entry table
    // e2m1(c)·x_j, one vpermps per 16 rows' weights plus an add instead of an FMA; _r1 builds
    // every table per row group, the other shares it among four.
    {"perm+add", 16, DSC_LOOP(DSC_R8(PERM, ) DSC_R8(ADD, 1))},
    {"gemv_rowlanes_chunk", 22,
     DSC_LOOP(DSC_R8(PERM, ) DSC_R8(ADD, 1) DSC_R4(SHIFT, 2) BCSTMUL(24) BCSTMUL(25))},
    {"gemv_rowlanes_chunk_r1", 28,
     DSC_LOOP(DSC_R8(PERM, ) DSC_R8(ADD, 1) DSC_R4(SHIFT, 2) DSC_R8(BCSTMUL, 2))},
    {"gemv_f32_chunk", 21,
     DSC_LOOP(DSC_R8(PERM, ) DSC_R8(FMA, 1) FMA(18) DSC_R4(SHIFT, 2))},
    // ... and what BF16 activations would need: 4 vpermw lookups (32 weights each), 4 vdpbf16ps
    // (32 products each), 3 word shifts, 1 block-scale FMA. Not built; the bound it would have.
    {"gemv_bf16act_chunk", 12,
     DSC_LOOP(DSC_R4(PERMW, ) DSC_R4(DPBF16, 1) FMA(18) SHIFTW(20) SHIFTW(21) SHIFTW(22))},
};

void BM_VectorPorts(benchmark::State& state) {
  const Mix& mix = kMixes[state.range(0)];
  state.SetLabel(mix.name);
  if (!__builtin_cpu_supports("avx512vbmi") || !__builtin_cpu_supports("avx512bf16")) {
    state.SkipWithError("needs AVX-512 VBMI and BF16");
    return;
  }
  constexpr long kRounds = 1'000'000;
  double seconds = 0;
  for (auto _ : state) seconds += mix.run(kRounds);
  const double rounds = static_cast<double>(kRounds) * state.iterations();
  state.counters["ns/round"] = seconds / rounds * 1e9;
  state.counters["zmm_ops/ns"] = rounds * mix.instructions / seconds / 1e9;
}
BENCHMARK(BM_VectorPorts)->DenseRange(0, sizeof(kMixes) / sizeof(kMixes[0]) - 1);

}  // namespace

BENCHMARK_MAIN();
