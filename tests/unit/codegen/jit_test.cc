// The JIT wrapper: the object cache (a second start with the same kernels does no code
// generation and gives bit-identical code), target selection, and LLVM errors as Status.
#include "codegen/jit.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/dsc_jit_cache_XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<float> RunGemv(const dsc_linear_kernel& kernel, const testing::RandomWeights& w,
                           const std::vector<float>& x) {
  std::vector<float> y(w.n);
  std::vector<float> scratch(dsc_kernel_scratch_bytes(&kernel.info, 1) / 4 + 16);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w = w.codes.data();
  args.w_scale = w.scales.data();
  args.w_global_scale = w.global_scale;
  args.m = 1;
  args.ldx = w.k;
  args.ldy = w.n;
  args.row_begin = 0;
  args.row_end = w.n;
  // std::vector<float> is 16-byte aligned; the kernel wants 64.
  auto address = reinterpret_cast<uintptr_t>(scratch.data());
  args.scratch = reinterpret_cast<void*>((address + 63) / 64 * 64);
  kernel.fn(&args);
  return y;
}

TEST(JitTest, SecondStartLoadsTheObjectFromTheCache) {
  TempDir dir;
  LinearKernelSpec spec;
  spec.n = 37;
  spec.k = 176;
  const testing::RandomWeights w = testing::RandomNvfp4(spec.n, spec.k, 3);
  const std::vector<float> x = testing::RandomActivations(spec.k, 4);
  std::vector<float> first_y;
  for (int start = 0; start < 2; ++start) {
    JitOptions options;
    options.cache_dir = dir.path();
    auto jit = Jit::Create(options);
    ASSERT_TRUE(jit.ok()) << jit.status();
    auto kernel = CompileLinearKernel(**jit, spec);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    const std::vector<float> y = RunGemv(*kernel, w, x);
    const JitStats stats = (*jit)->stats();
    if (start == 0) {
      EXPECT_EQ(stats.cache_misses, 1);
      EXPECT_EQ(stats.cache_hits, 0);
      EXPECT_EQ(stats.modules_codegened, 1);
      first_y = y;
    } else {
      EXPECT_EQ(stats.cache_misses, 0);
      EXPECT_EQ(stats.cache_hits, 1);
      EXPECT_EQ(stats.modules_codegened, 0) << "a warm start must not generate code";
      EXPECT_EQ(y, first_y);
    }
  }
  int objects = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().extension(), ".o");
    ++objects;
  }
  EXPECT_EQ(objects, 1);
}

TEST(JitTest, CacheKeyIncludesTheTarget) {
  TempDir dir;
  LinearKernelSpec spec;
  spec.n = 16;
  spec.k = 32;
  for (const char* cpu : {"x86-64-v3", "x86-64"}) {
    auto target = MakeTargetCpu(cpu);
    ASSERT_TRUE(target.ok());
    JitOptions options;
    options.target = *target;
    options.cache_dir = dir.path();
    auto jit = Jit::Create(options);
    ASSERT_TRUE(jit.ok()) << jit.status();
    ASSERT_TRUE(CompileLinearKernel(**jit, spec).ok());
    EXPECT_EQ((*jit)->stats().cache_misses, 1) << cpu;
  }
}

TEST(JitTest, LlvmErrorsBecomeStatus) {
  auto jit = Jit::Create({});
  ASSERT_TRUE(jit.ok());
  EXPECT_FALSE((*jit)->Lookup("no_such_symbol").ok());

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("broken", *context);
  auto* fn = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(*context), false),
                                    llvm::Function::ExternalLinkage, "broken", *module);
  llvm::BasicBlock::Create(*context, "entry", fn);  // no terminator
  absl::Status status = (*jit)->AddModule(std::move(module), std::move(context));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(status.message().find("broken"), absl::string_view::npos) << status;
}

TEST(TargetTest, NamedCpusAndFeatureEdits) {
  auto v3 = MakeTargetCpu("x86-64-v3");
  ASSERT_TRUE(v3.ok());
  EXPECT_TRUE(v3->Has("avx2"));
  EXPECT_TRUE(v3->Has("fma"));
  EXPECT_FALSE(v3->Has("avx512f"));
  auto edited = MakeTargetCpu("x86-64-v3", "-fma,+avx512f");
  ASSERT_TRUE(edited.ok());
  EXPECT_FALSE(edited->Has("fma"));
  EXPECT_TRUE(edited->Has("avx512f"));
  EXPECT_EQ(MakeTargetCpu("pentium-9000").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeTargetCpu("x86-64", "avx2").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(MakeTargetCpu("host")->cpu.empty());
}

TEST(SpecTest, InvalidShapesAreRejected) {
  LinearKernelSpec spec;
  spec.n = 16;
  spec.k = 40;  // not a multiple of 16
  EXPECT_EQ(ValidateSpec(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.k = 32;
  spec.m = 9;
  EXPECT_EQ(ValidateSpec(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.kind = LinearKernelKind::kFp8Gemv;
  spec.m = 1;
  spec.k = 40;  // FP8 takes any k
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

}  // namespace
}  // namespace dsc::codegen
