// Regression: the optimized (jit) engine with a cache sized smaller than usual. Interpreter
// constants were held in a flat hash map whose rehash, triggered mid-op by a second weight's
// first use, freed the first weight's tensor (heap-use-after-free in gate_up_swiglu).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

double Perplexity(const std::string& ids, const std::string& engine, int ctx) {
  CliResult r = RunDsc("perplexity -m " + SharedDir() + "/golden/tiny-a --ids " + ids + " --ctx " +
                       std::to_string(ctx) + " --kv-cache f32 -t 1 --json --engine " + engine);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return -1;
  return nlohmann::json::parse(r.out).at("ppl").get<double>();
}

TEST(SmallContextTest, JitEqualsInterpreterForEveryWindowSize) {
  const std::string ids =
      std::filesystem::temp_directory_path() / ("dsc_small_ctx_" + std::to_string(getpid()) + ".json");
  std::ofstream(ids) << "[3,17,5,99,250,8,41,2,77,13,64,5,19,300,21,7]";
  for (int ctx : {4, 7, 16}) {
    const double interp = Perplexity(ids, "interp", ctx), jit = Perplexity(ids, "jit", ctx);
    EXPECT_GT(interp, 1.0) << ctx;
    EXPECT_NEAR(jit, interp, 1e-4 * interp) << "ctx " << ctx;
  }
  std::filesystem::remove(ids);
}

}  // namespace
}  // namespace dsc::testing
