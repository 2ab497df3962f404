// Progress bars (cli.md: only when stderr is a TTY, colour only without NO_COLOR): the line
// formatter, the redraw/erase protocol on a fake TTY stream, and through the dsc binary that a
// redirected stderr gets no bar at all while a pseudo-terminal (util-linux `script`) gets one.
#include "tools/dsc/progress.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/model_loader.h"
#include "frontend/synth.h"
#include "gtest/gtest.h"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

using cli::FormatProgressLine;
using cli::ProgressBar;
using cli::ProgressStyle;
using cli::ProgressUnit;

TEST(ProgressFormatTest, CountBar) {
  EXPECT_EQ(FormatProgressLine("perplexity", 3, 8, 1.25, ProgressUnit::kCount, false, 8),
            "perplexity [===>    ]  37%  3/8  1.2s");
  EXPECT_EQ(FormatProgressLine("x", 0, 4, 0, ProgressUnit::kCount, false, 4), "x [>   ]   0%  0/4  0.0s");
  EXPECT_EQ(FormatProgressLine("x", 4, 4, 2, ProgressUnit::kCount, false, 4), "x [====] 100%  4/4  2.0s");
  // Past the total (a caller's slip) stays a full bar.
  EXPECT_EQ(FormatProgressLine("x", 9, 4, 2, ProgressUnit::kCount, false, 4), "x [====] 100%  9/4  2.0s");
}

TEST(ProgressFormatTest, UnknownTotalHasNoBar) {
  EXPECT_EQ(FormatProgressLine("compiling kernels", 12, 0, 0.5, ProgressUnit::kCount, false), "compiling kernels  12  0.5s");
}

TEST(ProgressFormatTest, BytesInTheUnitOfTheTotal) {
  EXPECT_EQ(FormatProgressLine("w", 1200000000, 2400000000, 3, ProgressUnit::kBytes, false, 2),
            "w [=>]  50%  1.2/2.4 GB  3.0s");
  EXPECT_EQ(FormatProgressLine("w", 512, 1000, 0, ProgressUnit::kBytes, false, 2), "w [=>]  51%  0.5/1.0 kB  0.0s");
  EXPECT_EQ(FormatProgressLine("w", 5, 10, 0, ProgressUnit::kBytes, false, 2), "w [=>]  50%  5/10 B  0.0s");
  EXPECT_EQ(FormatProgressLine("w", 3500000, 0, 0, ProgressUnit::kBytes, false), "w  3.5 MB  0.0s");
}

TEST(ProgressFormatTest, ColourOnlyWhenAsked) {
  const std::string plain = FormatProgressLine("x", 1, 2, 0, ProgressUnit::kCount, false, 4);
  const std::string colour = FormatProgressLine("x", 1, 2, 0, ProgressUnit::kCount, true, 4);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_EQ(colour, "x [\033[32m==>\033[0m ]  50%  1/2  0.0s");
}

TEST(ProgressBarTest, DisabledWritesNothing) {
  std::ostringstream out;
  {
    ProgressBar bar("load", ProgressUnit::kCount, ProgressStyle{false, false}, out);
    for (int i = 0; i <= 10; ++i) bar.Update(i, 10);
    bar.Clear();
    bar.Callback()(3, 4);
  }
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressBarTest, FakeTtyRedrawsInPlaceAndErasesAtTheEnd) {
  std::ostringstream out;
  // An interval no slow machine can reach between two calls.
  ProgressBar bar("load", ProgressUnit::kCount, ProgressStyle{true, false}, out, std::chrono::hours(1));
  bar.Update(0, 4);
  const std::string first = out.str();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0], '\r');
  EXPECT_NE(first.find("load ["), std::string::npos);
  EXPECT_EQ(first.find('\n'), std::string::npos);
  bar.Update(1, 4);  // within the redraw interval: skipped
  EXPECT_EQ(out.str(), first);
  bar.Update(4, 4);  // the last step is always drawn
  EXPECT_NE(out.str().find("4/4"), std::string::npos);
  bar.Finish();
  const std::string all = out.str();
  // Ends by overwriting the line with blanks and returning to column 0.
  const size_t last_cr = all.rfind('\r');
  ASSERT_EQ(last_cr, all.size() - 1);
  const size_t prev_cr = all.rfind('\r', last_cr - 1);
  EXPECT_EQ(all.substr(prev_cr + 1, last_cr - prev_cr - 1).find_first_not_of(' '), std::string::npos);
  bar.Update(2, 4);  // finished: silent
  EXPECT_EQ(out.str(), all);
  EXPECT_EQ(all.find('\n'), std::string::npos);
}

TEST(ProgressBarTest, ClearThenRedrawForAPrintedLine) {
  std::ostringstream out;
  ProgressBar bar("ppl", ProgressUnit::kCount, ProgressStyle{true, true}, out);
  bar.Update(1, 3);
  bar.Clear();
  const size_t after_clear = out.str().size();
  bar.Update(2, 3);  // drawn at once after a Clear
  EXPECT_GT(out.str().size(), after_clear);
  EXPECT_NE(out.str().find("\033[32m"), std::string::npos);
}

// The library layers' callbacks (no terminal code there): monotonic, ending at done == total.
void ExpectMonotonicToTheEnd(const std::vector<std::pair<int64_t, int64_t>>& calls, int64_t total) {
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front().first, 0);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, total);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back().first, total);
}

TEST(ProgressCallbackTest, SynthReportsBytesWritten) {
  const std::string out = (std::filesystem::temp_directory_path() / ("dsc_progress_cb_" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(out);
  std::vector<std::pair<int64_t, int64_t>> calls;
  frontend::SynthOptions options;
  options.preset = "tiny";
  options.shards = 2;
  options.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  absl::StatusOr<frontend::SynthResult> made = frontend::WriteSynthCheckpoint(options, out);
  ASSERT_TRUE(made.ok()) << made.status();
  ExpectMonotonicToTheEnd(calls, static_cast<int64_t>(made->written.tensor_bytes));
  EXPECT_GT(calls.size(), 10u);  // streamed, not one call at the end

  std::vector<std::pair<int64_t, int64_t>> steps;
  frontend::LoadOptions load;
  load.progress = [&](int64_t done, int64_t total) { steps.emplace_back(done, total); };
  absl::StatusOr<frontend::LoadedModel> model = frontend::LoadModel(out, load);
  ASSERT_TRUE(model.ok()) << model.status();
  ExpectMonotonicToTheEnd(steps, frontend::kLoadSteps);
  EXPECT_EQ(steps.size(), static_cast<size_t>(frontend::kLoadSteps + 1));
  std::filesystem::remove_all(out);
}

std::string Scratch(const std::string& what) {
  return (std::filesystem::temp_directory_path() / ("dsc_progress_" + what + "_" + std::to_string(getpid()))).string();
}

// stderr into a file (RunDsc's redirection): not one byte of a bar.
TEST(ProgressCliTest, NoBarWhenStderrIsAFile) {
  CliResult ppl = RunDsc("perplexity -m " + Models() + "/tinycode-nvfp4 --ids " + Models() +
                         "/tinycode-eval.ids.json --max-tokens 256 --ctx 256 --kv-cache f32 --check-weights");
  ASSERT_EQ(ppl.exit_code, 0) << ppl.err;
  const std::string convert_out = Scratch("convert"), synth_out = Scratch("synth");
  std::filesystem::remove_all(convert_out);
  std::filesystem::remove_all(synth_out);
  CliResult convert = RunDsc("convert -m " + Models() + "/tinycode-bf16 -o " + convert_out);
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  CliResult synth = RunDsc("synth --preset tiny -o " + synth_out);
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  CliResult run = RunDsc("run -m " + std::string(DSC_SHARED_DIR) + "/golden/tiny-a --engine jit --prompt-ids 1,2,3 -n 2");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const CliResult* r : {&ppl, &convert, &synth, &run}) {
    EXPECT_EQ(r->err.find('\r'), std::string::npos) << r->err;
    EXPECT_EQ(r->err.find("[="), std::string::npos) << r->err;
    EXPECT_EQ(r->err.find("[>"), std::string::npos) << r->err;
    EXPECT_EQ(r->err.find('\033'), std::string::npos) << r->err;
  }
  std::filesystem::remove_all(convert_out);
  std::filesystem::remove_all(synth_out);
}

// Under a pseudo-terminal (util-linux `script`, which CI's tmux e2e test machine has too) the
// bars appear, redrawn with '\r'; NO_COLOR keeps them but drops the colour.
CliResult RunOnPty(const std::string& env, const std::string& dsc_args) {
  const std::string inner = env + " " + DSC_BINARY + " " + dsc_args;
  CliResult r;
  const std::string out = Scratch("pty");
  const std::string cmd = "script -q -e -c '" + inner + "' /dev/null >" + out + " 2>&1 </dev/null";
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  std::filesystem::remove(out);
  return r;
}

TEST(ProgressCliTest, BarsOnAPseudoTerminal) {
  ASSERT_EQ(std::system("command -v script >/dev/null"), 0) << "util-linux `script` is needed for this test";
  const std::string args = "perplexity -m " + Models() + "/tinycode-nvfp4 --ids " + Models() +
                           "/tinycode-eval.ids.json --max-tokens 256 --ctx 256 --kv-cache f32 --check-weights";
  CliResult colour = RunOnPty("env -u NO_COLOR TERM=xterm", args);
  ASSERT_EQ(colour.exit_code, 0) << colour.out;
  EXPECT_NE(colour.out.find("\rperplexity ["), std::string::npos) << colour.out;
  EXPECT_NE(colour.out.find("\rchecking weights ["), std::string::npos) << colour.out;
  EXPECT_NE(colour.out.find("\rreading weights ["), std::string::npos) << colour.out;  // 9.6 MB: read in
  EXPECT_NE(colour.out.find("\033[32m"), std::string::npos) << colour.out;
  EXPECT_NE(colour.out.find("PPL = "), std::string::npos) << colour.out;
  CliResult plain = RunOnPty("NO_COLOR=1 TERM=xterm", args);
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  EXPECT_NE(plain.out.find("\rperplexity ["), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find('\033'), std::string::npos) << plain.out;
  CliResult dumb = RunOnPty("TERM=dumb", args);
  ASSERT_EQ(dumb.exit_code, 0) << dumb.out;
  EXPECT_EQ(dumb.out.find("perplexity ["), std::string::npos) << dumb.out;
}

// The JIT engine compiles a single sequence's kernels under a bar before the first forward
// pass (an empty object cache, so every kernel really is generated).
TEST(ProgressCliTest, KernelCompileBarOnAPseudoTerminal) {
  ASSERT_EQ(std::system("command -v script >/dev/null"), 0) << "util-linux `script` is needed for this test";
  const std::string cache = Scratch("kernel_cache");
  std::filesystem::remove_all(cache);
  CliResult r = RunOnPty("NO_COLOR=1 TERM=xterm XDG_CACHE_HOME=" + cache,
                         "run -m " + std::string(DSC_SHARED_DIR) +
                             "/golden/tiny-a --engine jit --prompt-ids 1,2,3 -n 2 --print-ids");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\rcompiling kernels ["), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("] 100%"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(cache + "/dsc/kernels")) << "kernels were not cached under " << cache;
  std::filesystem::remove_all(cache);
}

}  // namespace
}  // namespace dsc::testing
