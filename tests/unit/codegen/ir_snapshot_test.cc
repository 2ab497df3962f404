// Emitted-IR snapshots: the unoptimized IR of small kernels on named CPUs (never "host", so the
// result is the same on every machine), checked two ways:
//   - snapshots/<name>.<isa>.ll holds "; CHECK:" / "; CHECK-NOT:" lines (FileCheck's meaning,
//     `{{.*}}` as the only pattern) for the instructions each ISA path must use;
//   - the AVX-512 GEMV's full IR must equal snapshots/<name>.avx512.ll byte for byte, so any
//     codegen change shows up as a reviewable diff. DSC_UPDATE_SNAPSHOTS=1 rewrites it.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"

namespace dsc::codegen {
namespace {

std::string SnapshotPath(const std::string& file) {
  return std::string(DSC_SOURCE_DIR) + "/tests/unit/codegen/snapshots/" + file;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Does `line` contain `pattern`, where "{{.*}}" matches anything?
bool LineMatches(const std::string& line, const std::string& pattern) {
  size_t pos = 0, start = 0;
  while (true) {
    const size_t wild = pattern.find("{{.*}}", start);
    const std::string piece =
        pattern.substr(start, wild == std::string::npos ? std::string::npos : wild - start);
    const size_t found = line.find(piece, pos);
    if (found == std::string::npos) return false;
    pos = found + piece.size();
    if (wild == std::string::npos) return true;
    start = wild + 6;
  }
}

// A FileCheck subset: CHECK lines match in order, CHECK-NOT lines must not match between the
// surrounding CHECK matches. Returns "" or the first failure.
std::string FileCheck(const std::string& text, const std::string& checks) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::istringstream check_in(checks);
  size_t cursor = 0;
  std::vector<std::string> nots;
  for (std::string check; std::getline(check_in, check);) {
    const bool is_not = check.rfind("; CHECK-NOT: ", 0) == 0;
    if (!is_not && check.rfind("; CHECK: ", 0) != 0) continue;
    const std::string pattern = check.substr(is_not ? 13 : 9);
    if (is_not) {
      nots.push_back(pattern);
      continue;
    }
    size_t i = cursor;
    while (i < lines.size() && !LineMatches(lines[i], pattern)) ++i;
    if (i == lines.size()) return "CHECK not found: " + pattern;
    for (const std::string& n : nots) {
      for (size_t j = cursor; j < i; ++j) {
        if (LineMatches(lines[j], n)) return "CHECK-NOT matched: " + n + " in: " + lines[j];
      }
    }
    nots.clear();
    cursor = i + 1;
  }
  for (const std::string& n : nots) {
    for (size_t j = cursor; j < lines.size(); ++j) {
      if (LineMatches(lines[j], n)) return "CHECK-NOT matched: " + n + " in: " + lines[j];
    }
  }
  return "";
}

struct Case {
  LinearKernelKind kind;
  const char* cpu;
  const char* isa;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.cpu << "/" << c.isa; }

class IrSnapshotTest : public ::testing::TestWithParam<Case> {};

TEST_P(IrSnapshotTest, MatchesTheChecks) {
  const Case& c = GetParam();
  LinearKernelSpec spec;
  spec.kind = c.kind;
  spec.m = 1;
  spec.n = c.kind == LinearKernelKind::kRmsNorm ? 176 : 37;  // a norm's rows: n == k
  spec.k = 176;
  auto target = MakeTargetCpu(c.cpu);
  ASSERT_TRUE(target.ok());
  auto ir = LinearKernelIr(spec, *target);
  ASSERT_TRUE(ir.ok()) << ir.status();
  const std::string name = spec.Name() + "." + c.isa + ".checks";
  const std::string checks = ReadFile(SnapshotPath(name));
  ASSERT_FALSE(checks.empty()) << "missing " << SnapshotPath(name);
  EXPECT_EQ(FileCheck(*ir, checks), "") << name;
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, IrSnapshotTest,
    ::testing::Values(Case{LinearKernelKind::kNvfp4Gemv, "sapphirerapids", "avx512"},
                      Case{LinearKernelKind::kNvfp4Gemv, "x86-64-v3", "avx2"},
                      Case{LinearKernelKind::kNvfp4Gemv, "x86-64", "generic"},
                      Case{LinearKernelKind::kNvfp4Gemm, "sapphirerapids", "avx512"},
                      Case{LinearKernelKind::kFp8Gemv, "sapphirerapids", "avx512"},
                      Case{LinearKernelKind::kRmsNorm, "sapphirerapids", "avx512"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      const char* kind = info.param.kind == LinearKernelKind::kNvfp4Gemv   ? "Nvfp4Gemv"
                         : info.param.kind == LinearKernelKind::kNvfp4Gemm ? "Nvfp4Gemm"
                         : info.param.kind == LinearKernelKind::kFp8Gemv   ? "Fp8Gemv"
                                                                           : "RmsNorm";
      return std::string(kind) + "_" + info.param.isa;
    });

TEST(IrSnapshotTest, FullIrOfTheAvx512GemvIsUnchanged) {
  LinearKernelSpec spec;
  spec.n = 37;
  spec.k = 176;
  auto target = MakeTargetCpu("sapphirerapids");
  ASSERT_TRUE(target.ok());
  auto ir = LinearKernelIr(spec, *target);
  ASSERT_TRUE(ir.ok()) << ir.status();
  const std::string path = SnapshotPath(spec.Name() + ".avx512.ll");
  if (std::getenv("DSC_UPDATE_SNAPSHOTS") != nullptr) {
    std::ofstream(path) << *ir;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(*ir, ReadFile(path)) << "emitted IR changed; review `git diff` after "
                                    "DSC_UPDATE_SNAPSHOTS=1 dsc_codegen_tests";
}

TEST(FileCheckTest, SubsetSemantics) {
  const std::string text = "a = add x\nb = mul y\nc = sub z\n";
  EXPECT_EQ(FileCheck(text, "; CHECK: add\n; CHECK: sub\n"), "");
  EXPECT_NE(FileCheck(text, "; CHECK: sub\n; CHECK: add\n"), "");
  EXPECT_NE(FileCheck(text, "; CHECK: add\n; CHECK-NOT: mul\n; CHECK: sub\n"), "");
  EXPECT_EQ(FileCheck(text, "; CHECK: b = {{.*}} y\n; CHECK-NOT: add\n"), "");
}

}  // namespace
}  // namespace dsc::codegen
