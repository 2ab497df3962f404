// Ahead-of-time kernel objects: a kernel compiled to an object file by one Jit and linked into
// a fresh one (no code generation there) computes exactly what the JIT-compiled kernel does,
// on ragged shapes, for every kernel kind and on the generic ISA path too; bad objects are
// errors, not crashes.
#include "codegen/kernel_objects.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/cpu_kernels.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

struct Case {
  LinearKernelKind kind;
  int64_t m, n, k;
};

std::vector<float> RunKernel(const dsc_linear_kernel& kernel, const testing::RandomWeights& w, bool nvfp4,
                             const std::vector<float>& x, int64_t m) {
  std::vector<float> y(m * w.n, -7.0f);
  dsc_linear_args args = {};
  args.x = x.data();
  args.y = y.data();
  args.m = m;
  args.ldx = w.k;
  args.ldy = w.n;
  args.w = w.codes.data();
  args.w_scale = nvfp4 ? static_cast<const void*>(w.scales.data()) : static_cast<const void*>(w.scale_inv.data());
  args.w_global_scale = w.global_scale;
  runtime::ThreadPool pool(2);
  runtime::KernelScratch scratch(2);
  runtime::RunLinear(pool, scratch, kernel, args);
  return y;
}

void CheckObjectMatchesJit(const std::string& cpu) {
  absl::StatusOr<TargetCpu> target = MakeTargetCpu(cpu);
  ASSERT_TRUE(target.ok()) << target.status();
  JitOptions options;
  options.target = *target;  // no cache: the objects are really generated here
  auto compiler = Jit::Create(options);
  auto loader = Jit::Create(options);
  auto jit = Jit::Create(options);
  ASSERT_TRUE(compiler.ok() && loader.ok() && jit.ok());
  const std::vector<Case> cases = {{LinearKernelKind::kNvfp4Gemv, 1, 77, 160},
                                   {LinearKernelKind::kNvfp4Gemv, 3, 130, 48},
                                   {LinearKernelKind::kFp8Gemv, 2, 131, 200},
                                   {LinearKernelKind::kNvfp4Gemm, 0, 45, 272}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    LinearKernelSpec spec;
    spec.kind = c.kind;
    spec.m = c.kind == LinearKernelKind::kNvfp4Gemm ? 1 : c.m;
    spec.n = c.n;
    spec.k = c.k;
    absl::StatusOr<LinearKernelObject> object = EmitLinearKernelObject(**compiler, spec);
    ASSERT_TRUE(object.ok()) << object.status();
    EXPECT_EQ(object->symbol, spec.Name());
    EXPECT_GT(object->object.size(), 64u);
    absl::StatusOr<dsc_linear_kernel> loaded =
        LoadLinearKernelObject(**loader, object->object, object->symbol, object->info, spec.Name() + ".o");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    absl::StatusOr<dsc_linear_kernel> jitted = CompileLinearKernel(**jit, spec);
    ASSERT_TRUE(jitted.ok()) << jitted.status();

    const bool nvfp4 = c.kind != LinearKernelKind::kFp8Gemv;
    const int64_t m = c.kind == LinearKernelKind::kNvfp4Gemm ? 19 : c.m;  // a ragged GEMM m
    testing::RandomWeights w = nvfp4 ? testing::RandomNvfp4(c.n, c.k, seed) : testing::RandomFp8(c.n, c.k, seed);
    std::vector<float> x = testing::RandomActivations(m * c.k, seed + 100);
    ++seed;
    std::vector<float> from_object = RunKernel(*loaded, w, nvfp4, x, m);
    std::vector<float> from_jit = RunKernel(*jitted, w, nvfp4, x, m);
    EXPECT_EQ(from_object, from_jit) << spec.Name() << " on " << cpu;
    EXPECT_LE(testing::MaxRelativeError(w, x, m, c.k, from_object, c.n, 0, c.n), 1e-6) << spec.Name();
  }
  const JitStats compiled = (*compiler)->stats();
  const JitStats loaded = (*loader)->stats();
  EXPECT_EQ(compiled.modules_codegened, static_cast<int>(cases.size()));
  EXPECT_EQ(loaded.modules_codegened, 0);
  EXPECT_EQ(loaded.codegen_seconds, 0.0);
  EXPECT_EQ(loaded.objects_loaded, static_cast<int>(cases.size()));
}

TEST(KernelObjectsTest, LoadedObjectsComputeWhatTheJitComputesOnTheHost) { CheckObjectMatchesJit("host"); }

TEST(KernelObjectsTest, LoadedObjectsComputeWhatTheJitComputesOnGenericX86) { CheckObjectMatchesJit("x86-64"); }

TEST(KernelObjectsTest, EmitObjectSharesTheJitObjectCache) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dsc_kernel_objects_cache_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  JitOptions options;
  options.cache_dir = dir.string();
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kNvfp4Gemv;
  spec.m = 2;
  spec.n = 48;
  spec.k = 64;
  auto jit = Jit::Create(options);
  ASSERT_TRUE(jit.ok());
  ASSERT_TRUE(CompileLinearKernel(**jit, spec).ok());  // the JIT path fills the cache
  EXPECT_EQ((*jit)->stats().modules_codegened, 1);
  auto aot = Jit::Create(options);
  ASSERT_TRUE(aot.ok());
  absl::StatusOr<LinearKernelObject> object = EmitLinearKernelObject(**aot, spec);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ((*aot)->stats().modules_codegened, 0) << "EmitObject should take the JIT's cached object";
  EXPECT_EQ((*aot)->stats().cache_hits, 1);
  std::filesystem::remove_all(dir);
}

TEST(KernelObjectsTest, MissingHostFeatures) {
  EXPECT_TRUE(MissingHostFeatures(DetectHostCpu()).empty());
  // Generic x86-64 includes x87, which LLVM's host detection never reports.
  for (const char* cpu : {"x86-64", "x86-64-v2"}) {
    absl::StatusOr<TargetCpu> target = MakeTargetCpu(cpu);
    ASSERT_TRUE(target.ok());
    EXPECT_TRUE(MissingHostFeatures(*target).empty()) << cpu;
  }
  absl::StatusOr<TargetCpu> fake = MakeTargetCpu("x86-64", "+dsc-no-such-feature");
  ASSERT_TRUE(fake.ok());
  EXPECT_EQ(MissingHostFeatures(*fake), std::vector<std::string>{"dsc-no-such-feature"});
  TargetCpu host = DetectHostCpu();
  if (!host.Has("avx512vp2intersect")) {  // a real feature few CPUs have
    absl::StatusOr<TargetCpu> vp2 = MakeTargetCpu("host", "+avx512vp2intersect");
    ASSERT_TRUE(vp2.ok());
    EXPECT_EQ(MissingHostFeatures(*vp2), std::vector<std::string>{"avx512vp2intersect"});
  }
}

TEST(KernelObjectsTest, BadObjectsAreErrors) {
  auto jit = Jit::Create(JitOptions{});
  ASSERT_TRUE(jit.ok());
  dsc_kernel_info info = {};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  absl::StatusOr<dsc_linear_kernel> garbage =
      LoadLinearKernelObject(**jit, std::string(200, 'x'), "dsc_nvfp4_gemv_m1_n16_k16", info, "garbage.o");
  EXPECT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("garbage.o"), std::string::npos) << garbage.status();

  // A valid object that does not define the symbol asked for.
  LinearKernelSpec spec;
  spec.n = 16;
  spec.k = 32;
  auto compiler = Jit::Create(JitOptions{});
  ASSERT_TRUE(compiler.ok());
  absl::StatusOr<LinearKernelObject> object = EmitLinearKernelObject(**compiler, spec);
  ASSERT_TRUE(object.ok()) << object.status();
  absl::StatusOr<dsc_linear_kernel> wrong =
      LoadLinearKernelObject(**jit, object->object, "dsc_not_there", object->info, "other.o");
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("dsc_not_there"), std::string::npos) << wrong.status();

  dsc_kernel_info old = object->info;
  old.abi_version = DSC_KERNEL_ABI_VERSION + 1;
  absl::StatusOr<dsc_linear_kernel> abi = LoadLinearKernelObject(**jit, object->object, object->symbol, old, "abi.o");
  EXPECT_FALSE(abi.ok());
  EXPECT_NE(abi.status().message().find("ABI"), std::string::npos) << abi.status();
}

}  // namespace
}  // namespace dsc::codegen
