// Malformed input across the whole command line (issue 8): every subcommand given missing
// files, things that are not regular files (directories, FIFOs, dangling symlinks: the tests
// run as root, so chmod 000 would not stop a read), files of the wrong kind, bad flags and
// values, invalid UTF-8, prompts longer than the context and NaN/Inf weights. Each must exit 2
// with a message naming the problem, print nothing on stdout and leave no output file behind.
// Also: generation is deterministic across runs, thread counts and equal seeds.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

namespace fs = std::filesystem;

std::string Tinycode() { return SharedDir() + "/models/tinycode-bf16"; }

// A fresh directory per test, removed at the end.
class Scratch {
 public:
  Scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("dsc_malformed_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  }
  std::string Fifo(const std::string& name) const {
    EXPECT_EQ(mkfifo(Path(name).c_str(), 0644), 0) << std::strerror(errno);
    return Path(name);
  }
  std::string Dangling(const std::string& name) const {
    fs::create_symlink(Path("no-such-target"), Path(name));
    return Path(name);
  }
  std::string Subdir(const std::string& name) const {
    fs::create_directories(Path(name));
    return Path(name);
  }
  // Copies the files of a checkpoint directory (not the golden data next to it).
  std::string CopyModel(const std::string& from, const std::string& name) const {
    const std::string to = Subdir(name);
    for (const auto& entry : fs::directory_iterator(from)) {
      const std::string file = entry.path().filename().string();
      if (file.rfind("model", 0) == 0 || file.find("config") != std::string::npos ||
          file.rfind("tokenizer", 0) == 0) {
        fs::copy_file(entry.path(), fs::path(to) / file);
        fs::permissions(fs::path(to) / file, fs::perms::owner_write, fs::perm_options::add);
      }
    }
    return to;
  }
  // Names of everything left in the scratch directory (to check that failures wrote nothing).
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      names.push_back(fs::relative(e.path(), dir_).string());
    }
    return names;
  }

 private:
  fs::path dir_;
};

// Overwrites element `index` of `tensor` (found with the frontend's own reader) in `dir`.
void PatchElement(const std::string& dir, const std::string& tensor, size_t index,
                  const std::string& bytes) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".safetensors") continue;
    uint64_t offset = 0;
    {
      auto file = frontend::SafetensorsFile::Open(entry.path().string());
      ASSERT_TRUE(file.ok()) << file.status();
      const frontend::TensorView* t = (*file)->Find(tensor);
      if (t == nullptr) continue;
      ASSERT_EQ(frontend::StDtypeSize(t->dtype), bytes.size()) << tensor;
      ASSERT_LT(index * bytes.size(), t->nbytes) << tensor;
      offset = t->file_offset + index * bytes.size();
    }
    std::fstream f(entry.path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(f.good());
    return;
  }
  FAIL() << "no tensor " << tensor << " in " << dir;
}

const std::string kBf16NaN("\xc0\x7f", 2);             // 0x7fc0
const std::string kBf16Inf("\x80\x7f", 2);             // 0x7f80
const std::string kF32NaN("\x00\x00\xc0\x7f", 4);      // 0x7fc00000
const std::string kE4M3NaN("\x7f", 1);

// Exit code 2, each of `needles` in stderr, nothing on stdout, and no crash or sanitizer
// report (a crash exits 128 + signal, but a report can also come with exit 1).
void ExpectBadInput(const CliResult& r, std::initializer_list<std::string> needles) {
  EXPECT_EQ(r.exit_code, 2) << "stderr: " << r.err;
  for (const std::string& needle : needles) {
    EXPECT_NE(r.err.find(needle), std::string::npos) << "'" << needle << "' not in: " << r.err;
  }
  EXPECT_EQ(r.out, "") << "stdout must stay empty on bad input";
  for (const char* crash : {"terminate called", "Sanitizer", "runtime error:", "Aborted"}) {
    EXPECT_EQ(r.err.find(crash), std::string::npos) << r.err;
  }
}

CliResult Dsc(const std::string& args) { return RunDsc(args, {.timeout_seconds = 300}); }

// ---------------------------------------------------------------------------------------------
// Missing files.

TEST(MalformedCli, InspectMissingDirectory) {
  ExpectBadInput(Dsc("inspect -m /nonexistent/ckpt"), {"/nonexistent/ckpt"});
}

TEST(MalformedCli, RunLogitsPerplexityMissingModel) {
  Scratch s;
  ExpectBadInput(Dsc("run -m /nonexistent/m --prompt-ids 1,2"), {"/nonexistent/m"});
  ExpectBadInput(Dsc("logits -m /nonexistent/m --tokens 1,2 -o " + s.Path("l.safetensors")),
                 {"/nonexistent/m"});
  ExpectBadInput(Dsc("perplexity -m /nonexistent/m --ctx 2 --ids " + s.Write("ids.json", "[1,2,3]")),
                 {"/nonexistent/m"});
  EXPECT_EQ(s.Entries(), std::vector<std::string>{"ids.json"});
}

TEST(MalformedCli, MissingInputFilesAreNamed) {
  Scratch s;
  ExpectBadInput(Dsc("ir --parse " + s.Path("absent.ir")), {"absent.ir"});
  ExpectBadInput(Dsc("tokenize --tokenizer " + s.Path("absent.json") + " --text hi"),
                 {"absent.json"});
  ExpectBadInput(Dsc("detokenize --tokenizer " + s.Path("absent.json") + " --ids 1"),
                 {"absent.json"});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --file " + s.Path("absent.txt")),
                 {"absent.txt"});
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --batch-file " + s.Path("absent.txt")),
                 {"absent.txt"});
  ExpectBadInput(Dsc("tokenize --tokenizer " + Tinycode() + " --jsonl " + s.Path("absent.jsonl")),
                 {"absent.jsonl"});
}

TEST(MalformedCli, ConvertMissingModelCreatesNothing) {
  Scratch s;
  ExpectBadInput(Dsc("convert -m /nonexistent/m -o " + s.Path("out")), {"/nonexistent/m"});
  EXPECT_FALSE(fs::exists(s.Path("out")));
}

TEST(MalformedCli, ChatMissingModelWithStdinClosed) {
  CliResult r = RunDsc("chat -m /nonexistent/m", {.stdin_redirect = "<&-", .timeout_seconds = 60});
  ExpectBadInput(r, {"/nonexistent/m"});
}

TEST(MalformedCli, BenchAndCompileMissingModel) {
  Scratch s;
  // A missing model directory: exit 2, a message naming the directory, nothing created.
  for (const std::string& cmd : {std::string("bench -m /nonexistent/m"), "compile -m /nonexistent/m -o " + s.Path("art")}) {
    CliResult r = Dsc(cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("/nonexistent/m"), std::string::npos) << cmd << ": " << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_TRUE(s.Entries().empty());
}

// ---------------------------------------------------------------------------------------------
// Not regular files: directories, FIFOs (a naive open blocks forever), dangling symlinks.

TEST(MalformedCli, FifoWithoutAWriterDoesNotHang) {
  // Opening a FIFO nobody writes to blocks forever with a plain open(). Files that must be
  // files refuse it; text inputs read it as an empty stream (pipes like /dev/stdin work).
  Scratch s;
  const std::string fifo = s.Fifo("pipe");
  ExpectBadInput(Dsc("tokenize --tokenizer " + fifo + " --text hi"), {fifo});
  ExpectBadInput(Dsc("ir --parse " + fifo), {fifo});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --ctx 2 --ids " + fifo), {fifo, "array"});
  CliResult r = Dsc("tokenize --tokenizer " + Tinycode() + " --file " + fifo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[]\n");
  r = Dsc("tokenize --tokenizer " + Tinycode() + " --jsonl " + fifo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(MalformedCli, DirectoryInsteadOfAFile) {
  Scratch s;
  const std::string dir = s.Subdir("a_dir");
  ExpectBadInput(Dsc("ir --parse " + dir), {dir});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --file " + dir), {dir});  // was a crash
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --ids " + dir), {dir});
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --batch-file " + dir), {dir});
  ExpectBadInput(Dsc("tokenize --tokenizer " + dir + " --text hi"), {dir, "tokenizer.json"});
}

TEST(MalformedCli, DanglingSymlinks) {
  Scratch s;
  const std::string link = s.Dangling("gone");
  ExpectBadInput(Dsc("inspect -m " + link), {link});
  ExpectBadInput(Dsc("run -m " + link + " --prompt-ids 1"), {link});
  ExpectBadInput(Dsc("tokenize --tokenizer " + link + " --text hi"), {link});
  ExpectBadInput(Dsc("ir --parse " + link), {link});
}

TEST(MalformedCli, OutputPathIsADirectory) {
  Scratch s;
  const std::string dir = s.Subdir("out_dir");
  // Used to exit 1 ("rename failed") after computing everything.
  ExpectBadInput(Dsc("logits -m " + TinyA() + " --engine interp --tokens 1,2 -o " + dir), {dir});
  EXPECT_EQ(s.Entries(), std::vector<std::string>{"out_dir"});
}

// ---------------------------------------------------------------------------------------------
// Files of the wrong kind.

TEST(MalformedCli, TextFileAsACheckpoint) {
  Scratch s;
  const std::string text = s.Write("notes.txt", "hello\n");
  ExpectBadInput(Dsc("inspect -m " + text), {text, "not a directory"});
  ExpectBadInput(Dsc("run -m " + text + " --prompt-ids 1"), {text});
  // A directory whose "model.safetensors" is text: the shard is named.
  const std::string dir = s.Subdir("ckpt");
  s.Write("ckpt/model.safetensors", "this is not a safetensors file at all\n");
  s.Write("ckpt/config.json", "{}");
  ExpectBadInput(Dsc("inspect -m " + dir), {"model.safetensors"});
  ExpectBadInput(Dsc("logits -m " + dir + " --tokens 1 -o " + s.Path("l.safetensors")),
                 {"model.safetensors"});
  EXPECT_FALSE(fs::exists(s.Path("l.safetensors")));
}

TEST(MalformedCli, SafetensorsAsTokenizerJson) {
  const std::string st = TinyA() + "/model.safetensors";
  ExpectBadInput(Dsc("tokenize --tokenizer " + st + " --text hi"), {st, "JSON"});
  ExpectBadInput(Dsc("detokenize --tokenizer " + st + " --ids 1,2"), {st, "JSON"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --tokenizer " + st + " -p hi"), {st});
}

TEST(MalformedCli, JsonOfTheWrongShape) {
  Scratch s;
  // A tokenizer_config.json is JSON but not a tokenizer: the missing field is named.
  const std::string config = Tinycode() + "/tokenizer_config.json";
  ExpectBadInput(Dsc("tokenize --tokenizer " + config + " --text hi"), {config, "model"});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --ids " + s.Write("ids.json", "{\"ids\": [1]}")),
                 {"ids.json", "array"});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --ids " + s.Write("neg.json", "[1, -2]")),
                 {"neg.json", "element 1"});
  ExpectBadInput(Dsc("tokenize --tokenizer " + Tinycode() + " --jsonl " + s.Write("t.jsonl", "{\"text\": 1}\n")),
                 {"t.jsonl:1"});
}

TEST(MalformedCli, WrongKindOfIrFile) {
  Scratch s;
  const std::string st = TinyA() + "/model.safetensors";
  ExpectBadInput(Dsc("ir --parse " + st), {st});
  const std::string ir = s.Write("bad.ir", "module @m {\n  func @f() -> () {\n    %x = matmull\n  }\n}\n");
  ExpectBadInput(Dsc("ir --parse " + ir + " -o " + s.Path("out.ir")), {"bad.ir:"});
  ExpectBadInput(Dsc("ir --parse " + s.Write("bad.textproto", "garbage: [") + " --format proto -o " +
                     s.Path("out.pb")),
                 {"bad.textproto:1:"});
  EXPECT_FALSE(fs::exists(s.Path("out.ir")));
  EXPECT_FALSE(fs::exists(s.Path("out.pb")));
}

TEST(MalformedCli, ConvertOfANonCheckpointCreatesNothing) {
  Scratch s;
  const std::string dir = s.Subdir("only_config");
  s.Write("only_config/config.json", "{\"model_type\": \"deepseek_v3\"}");
  ExpectBadInput(Dsc("convert -m " + dir + " -o " + s.Path("out")), {dir});
  EXPECT_FALSE(fs::exists(s.Path("out")));
}

TEST(MalformedCli, TruncatedShard) {
  Scratch s;
  const std::string dir = s.CopyModel(TinyA(), "trunc");
  fs::resize_file(dir + "/model.safetensors", fs::file_size(dir + "/model.safetensors") - 100);
  ExpectBadInput(Dsc("run -m " + dir + " --engine interp --prompt-ids 1,2"),
                 {"model.safetensors", "truncated"});
  ExpectBadInput(Dsc("inspect -m " + dir), {"model.safetensors"});
}

// ---------------------------------------------------------------------------------------------
// Bad flags and values.

TEST(MalformedCli, UnknownFlagOnEverySubcommand) {
  for (const char* cmd : {"inspect", "ir", "logits", "run", "perplexity", "tokenize", "detokenize",
                          "synth", "convert", "chat", "bench", "compile"}) {
    CliResult r = RunDsc(std::string(cmd) + " --no-such-flag 1", {.stdin_redirect = "<&-", .timeout_seconds = 60});
    SCOPED_TRACE(cmd);
    ExpectBadInput(r, {"--no-such-flag"});
  }
  ExpectBadInput(Dsc("frobnicate"), {"frobnicate"});
}

TEST(MalformedCli, FlagWithoutItsValue) {
  ExpectBadInput(Dsc("run --prompt-ids 1 -m"), {"-m"});
  ExpectBadInput(Dsc("logits -m " + TinyA() + " --tokens"), {"--tokens"});
  ExpectBadInput(Dsc("tokenize --text"), {"--text"});
}

TEST(MalformedCli, NumbersThatAreNotNumbers) {
  ExpectBadInput(Dsc("run -m " + TinyA() + " --prompt-ids 1 -n ten"), {"-n", "ten"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --prompt-ids 1 --seed 1.5"), {"--seed"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --prompt-ids 1 -t many"), {"--threads"});
  ExpectBadInput(Dsc("bench -m " + TinyA() + " --prompt abc"), {"--prompt"});
  ExpectBadInput(Dsc("perplexity -m " + TinyA() + " --ids x.json --ctx 1e3"), {"--ctx"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --prompt-ids 1 -n 99999999999999999999"), {"-n"});
}

TEST(MalformedCli, SamplingValuesOutOfRange) {
  const std::string run = "run -m " + TinyA() + " --engine interp --prompt-ids 1,2 -n 2 ";
  ExpectBadInput(Dsc(run + "--temp nan"), {"--temp"});  // used to sample silently
  ExpectBadInput(Dsc(run + "--temp -1"), {"--temp"});
  ExpectBadInput(Dsc(run + "--temp inf"), {"--temp"});
  ExpectBadInput(Dsc(run + "--top-p 0"), {"--top-p"});
  ExpectBadInput(Dsc(run + "--top-p 1.5"), {"--top-p"});
  ExpectBadInput(Dsc(run + "--top-k -3"), {"--top-k"});
  ExpectBadInput(Dsc(run + "-n -5"), {"-n"});
  ExpectBadInput(Dsc(run + "-t -2"), {"--threads"});
  CliResult chat = RunDsc("chat -m " + Tinycode() + " --top-p 7", {.stdin_redirect = "<&-", .timeout_seconds = 60});
  ExpectBadInput(chat, {"--top-p"});
}

TEST(MalformedCli, ChoicesAndModes) {
  Scratch s;
  const std::string out = s.Path("l.safetensors");
  const std::string logits = "logits -m " + TinyA() + " --engine interp -o " + out + " ";
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --mode chunked:0"), {"chunked:0"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --mode sideways"), {"sideways"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --kv-cache f16"), {"--kv-cache", "f16"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --engine gpu"), {"--engine", "gpu"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --revision r3"), {"--revision", "r3"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --mmap --no-mmap"), {"--mmap", "--no-mmap"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --activations fp16"), {"--activations", "fp16"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --activations bf16"), {"--activations bf16", "--engine jit"});
  ExpectBadInput(Dsc(logits + "--tokens 1,2 --engine jit --activations bf16 --target-cpu x86-64-v3"),
                 {"--activations bf16", "AVX-512 BF16"});
  ExpectBadInput(Dsc("compile -m " + TinyA() + " -o " + s.Path("art") + " --activations bf16"),
                 {"--activations bf16", "artifacts"});
  ExpectBadInput(Dsc(logits + "--tokens 1,,x"), {"--tokens", "'x'"});
  ExpectBadInput(Dsc(logits + "--tokens 99999"), {"99999", "vocabulary"});
  ExpectBadInput(Dsc("logits -m " + TinyA() + " --tokens 1,2"), {"-o"});
  EXPECT_TRUE(s.Entries().empty());
}

TEST(MalformedCli, TokenIdsOutOfRange) {
  ExpectBadInput(Dsc("detokenize --tokenizer " + Tinycode() + " --ids 1,-5"), {"-5"});
  ExpectBadInput(Dsc("detokenize --tokenizer " + Tinycode() + " --ids 99999999999"), {"99999999999"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --engine interp --prompt-ids 2048"), {"2048", "vocabulary"});
  ExpectBadInput(Dsc("run -m " + TinyA() + " --engine interp --prompt-ids 1,-2"), {"'-2'"});
}

TEST(MalformedCli, SynthAndConvertBadValues) {
  Scratch s;
  ExpectBadInput(Dsc("synth --preset huge -o " + s.Path("a")), {"--preset", "huge"});
  ExpectBadInput(Dsc("synth --preset tiny --format int4 -o " + s.Path("a")), {"--format", "int4"});
  ExpectBadInput(Dsc("synth --preset tiny --shards 0 -o " + s.Path("a")), {"--shards"});
  ExpectBadInput(Dsc("synth --preset tiny -o " + s.Write("file", "x")), {s.Path("file")});
  ExpectBadInput(Dsc("convert -m " + TinyA() + " --to int8 -o " + s.Path("b")), {"--to", "int8"});
  ExpectBadInput(Dsc("convert -m " + TinyA()), {"-o"});
  EXPECT_EQ(s.Entries(), std::vector<std::string>{"file"});
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8 and prompts longer than the context.

TEST(MalformedCli, InvalidUtf8Prompt) {
  // $'\xff' in bash; /bin/sh's printf takes octal.
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --engine interp -n 2 -p \"$(printf '\\377')\""),
                 {"UTF-8"});
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --engine interp -n 2 --chat -p \"$(printf 'ok \\303')\""),
                 {"UTF-8"});
  ExpectBadInput(Dsc("tokenize --tokenizer " + Tinycode() + " --text \"$(printf 'ab\\300\\200')\""),
                 {"UTF-8", "byte offset 2"});
}

TEST(MalformedCli, InvalidUtf8InFiles) {
  Scratch s;
  const std::string bad = s.Write("bad.txt", "fine line\nbad \xe2\x82 line\n");
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --engine interp --file " + bad), {"bad.txt", "UTF-8"});
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --engine interp -n 1 --batch-file " + bad),
                 {"bad.txt:2", "UTF-8"});
  ExpectBadInput(Dsc("tokenize --tokenizer " + Tinycode() + " --file " + bad), {"bad.txt", "UTF-8"});
}

TEST(MalformedCli, ChatRejectsAnInvalidUtf8LineAndGoesOn) {
  Scratch s;
  // Interactive: a bad line is reported and the session continues to a clean exit at EOF.
  const std::string input = s.Write("input.txt", "\xff\xfe\n/quit\n");
  CliResult r = RunDsc("chat -m " + Tinycode() + " --engine interp -n 4 --temp 0",
                       {.stdin_redirect = "<" + input, .timeout_seconds = 120});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("not valid UTF-8"), std::string::npos) << r.err;
}

TEST(MalformedCli, ChatWithStdinClosedExitsCleanly) {
  CliResult r = RunDsc("chat -m " + Tinycode() + " --engine interp -n 4",
                       {.stdin_redirect = "<&-", .timeout_seconds = 120});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

std::string ManyIds(int n) {
  std::string ids;
  for (int i = 0; i < n; ++i) absl::StrAppend(&ids, i ? "," : "", 1 + i % 1000);
  return ids;
}

TEST(MalformedCli, PromptLongerThanTheContext) {
  // tiny-a runs with a 16384-token cache: a longer prompt is refused before any compute.
  ExpectBadInput(Dsc("run -m " + TinyA() + " --engine interp -n 1 --prompt-ids " + ManyIds(16385)),
                 {"context"});
  Scratch s;
  ExpectBadInput(Dsc("logits -m " + TinyA() + " --engine interp --tokens " + ManyIds(16385) + " -o " +
                     s.Path("l.safetensors")),
                 {"context"});
  EXPECT_TRUE(s.Entries().empty());
}

TEST(MalformedCli, TextPromptLongerThanTheContext) {
  Scratch s;
  std::string text;
  // 40000 " x": even if the BPE merged pairs of them it would be > 16384 tokens.
  for (int i = 0; i < 40000; ++i) text += " x";
  const std::string file = s.Write("long.txt", text);
  ExpectBadInput(Dsc("run -m " + Tinycode() + " --engine interp -n 1 -p \"$(cat " + file + ")\""),
                 {"context"});
  ExpectBadInput(Dsc("perplexity -m " + Tinycode() + " --engine interp --ctx 20000 --file " + file),
                 {"context"});
}

// ---------------------------------------------------------------------------------------------
// NaN / Inf in weights and scales.

TEST(MalformedCli, NanGlobalScaleIsRejectedAtLoad) {
  Scratch s;
  const std::string dir = s.CopyModel(TinyA(), "nan_scale2");
  const std::string tensor = "model.layers.0.self_attn.q_a_proj.weight_scale_2";
  PatchElement(dir, tensor, 0, kF32NaN);
  ExpectBadInput(Dsc("run -m " + dir + " --engine interp --prompt-ids 1,2 -n 2"), {tensor});
  ExpectBadInput(Dsc("run -m " + dir + " --engine interp --check-weights --prompt-ids 1,2 -n 2"), {tensor});
  ExpectBadInput(Dsc("logits -m " + dir + " --engine interp --tokens 1,2 -o " + s.Path("l.safetensors")),
                 {tensor});
  EXPECT_FALSE(fs::exists(s.Path("l.safetensors")));
}

TEST(MalformedCli, CheckWeightsNamesANanNormWeight) {
  Scratch s;
  const std::string dir = s.CopyModel(TinyA(), "nan_norm");
  PatchElement(dir, "model.norm.weight", 3, kBf16NaN);
  CliResult r = Dsc("run -m " + dir + " --engine interp --check-weights --prompt-ids 1,2 -n 2");
  ExpectBadInput(r, {"model.norm.weight", "NaN", "element 3"});
  r = Dsc("logits -m " + dir + " --engine interp --check-weights --tokens 1,2 -o " + s.Path("l.safetensors"));
  ExpectBadInput(r, {"model.norm.weight"});
  EXPECT_FALSE(fs::exists(s.Path("l.safetensors")));
}

TEST(MalformedCli, CheckWeightsNamesAnInfAndANanBlockScale) {
  Scratch s;
  const std::string inf = s.CopyModel(TinyA(), "inf_norm");
  PatchElement(inf, "model.layers.1.input_layernorm.weight", 0, kBf16Inf);
  ExpectBadInput(Dsc("run -m " + inf + " --engine interp --check-weights --prompt-ids 1 -n 1"),
                 {"model.layers.1.input_layernorm.weight", "Inf"});
  const std::string scale = s.CopyModel(TinyA(), "nan_block_scale");
  PatchElement(scale, "model.layers.0.mlp.down_proj.weight_scale", 5, kE4M3NaN);
  ExpectBadInput(Dsc("run -m " + scale + " --engine interp --check-weights --prompt-ids 1 -n 1"),
                 {"model.layers.0.mlp.down_proj.weight_scale", "NaN"});
}

TEST(MalformedCli, NanWeightsNeverReachTheOutput) {
  // Without --check-weights, NaN logits used to sample as token 0 (greedy) or an arbitrary
  // token (sampled), i.e. garbage that looked like an answer. Now every path stops.
  Scratch s;
  const std::string dir = s.CopyModel(TinyA(), "nan_silent");
  PatchElement(dir, "model.norm.weight", 3, kBf16NaN);
  const std::string run = "run -m " + dir + " --engine interp --prompt-ids 1,2,3 -n 4 ";
  ExpectBadInput(Dsc(run + "--temp 0"), {"not finite", "--check-weights"});
  ExpectBadInput(Dsc(run + "--temp 0.8 --seed 3"), {"not finite"});
  ExpectBadInput(Dsc(run + "--temp 0 --print-ids"), {"not finite"});
  ExpectBadInput(Dsc("run -m " + dir + " --engine jit --prompt-ids 1,2,3 -n 4 --temp 0"), {"not finite"});
  ExpectBadInput(Dsc("logits -m " + dir + " --engine interp --mode decode --tokens 1,2 -o " +
                     s.Path("l.safetensors")),
                 {"not finite"});
  ExpectBadInput(Dsc("perplexity -m " + dir + " --engine interp --ctx 4 --ids " +
                     s.Write("ids.json", "[1,2,3,4,5,6,7,8]")),
                 {"not finite"});
  EXPECT_FALSE(fs::exists(s.Path("l.safetensors")));
}

TEST(MalformedCli, NanWeightsNeverReachTheOutputText) {
  // The text path, with a real tokenizer.
  Scratch s;
  const std::string dir = s.CopyModel(Tinycode(), "tinycode_nan");
  PatchElement(dir, "model.norm.weight", 0, kBf16NaN);
  ExpectBadInput(Dsc("run -m " + dir + " --engine interp -n 3 --temp 0 -p 'def f(x):'"), {"not finite"});
  ExpectBadInput(Dsc("run -m " + dir + " --engine interp --check-weights -n 3 -p 'def f(x):'"),
                 {"model.norm.weight"});
  // chat is interactive: the turn fails with the message and no reply text is printed.
  const std::string input = s.Write("input.txt", "hello\n");
  CliResult r = RunDsc("chat -m " + dir + " --engine interp -n 3 --temp 0",
                       {.stdin_redirect = "<" + input, .timeout_seconds = 120});
  EXPECT_NE(r.err.find("not finite"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find_first_not_of("> \n"), std::string::npos) << "reply text: " << r.out;
}

TEST(MalformedCli, CheckWeightsPassesACleanModel) {
  CliResult r = Dsc("run -m " + TinyA() + " --engine interp --check-weights --prompt-ids 1,2 -n 2 --temp 0 --print-ids");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------------------------
// Atomic outputs: a failure leaves nothing, not even a temporary file.

TEST(MalformedCli, FailedOutputsLeaveNothing) {
  Scratch s;
  ExpectBadInput(Dsc("logits -m " + TinyA() + " --engine interp --tokens 1,5000 -o " + s.Path("l.safetensors")),
                 {"5000"});
  ExpectBadInput(Dsc("ir --parse " + s.Write("in.ir", "module @m {\n  oops\n}\n") + " --format textproto -o " +
                     s.Path("o.textproto")),
                 {"in.ir:2:"});
  ExpectBadInput(Dsc("ir -m /nonexistent/m -o " + s.Path("o.ir")), {"/nonexistent/m"});
  ExpectBadInput(Dsc("compile -m " + TinyA() + " -o " + s.Path("artifact") + " --no-such-flag"),
                 {"--no-such-flag"});
  EXPECT_EQ(s.Entries(), std::vector<std::string>{"in.ir"});
}

TEST(MalformedCli, FailedConvertLeavesNothing) {
  // A NaN in a BF16 weight cannot be quantized: convert stops and removes its temporary output.
  Scratch s;
  const std::string out = s.Path("synth_bf16");
  CliResult synth = Dsc("synth --preset tiny --format bf16 -o " + out);
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  PatchElement(out, "model.layers.0.mlp.down_proj.weight", 10, kBf16NaN);
  ExpectBadInput(Dsc("convert -m " + out + " -o " + s.Path("nvfp4")),
                 {"model.layers.0.mlp.down_proj.weight", "non-finite"});
  for (const std::string& e : s.Entries()) EXPECT_EQ(e.rfind("nvfp4", 0), std::string::npos) << e;
}

// ---------------------------------------------------------------------------------------------
// Determinism.

std::string RunIds(const std::string& engine, const std::string& extra) {
  CliResult r = Dsc("run -m " + TinyA() + " --engine " + engine +
                    " --kv-cache f32 --prompt-ids 5,6,7,8,9 -n 10 --print-ids " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("[", 0), 0u) << r.out;
  return r.out;
}

TEST(Determinism, GreedyIsIdenticalAcrossRunsAndThreadCounts) {
  for (const char* engine : {"interp", "jit"}) {
    SCOPED_TRACE(engine);
    const std::string first = RunIds(engine, "--temp 0");
    EXPECT_EQ(RunIds(engine, "--temp 0"), first);
    EXPECT_EQ(RunIds(engine, "--temp 0 -t 1"), first);
    EXPECT_EQ(RunIds(engine, "--temp 0 -t 2"), first);
  }
}

TEST(Determinism, SampledIsIdenticalForTheSameSeed) {
  for (const char* engine : {"interp", "jit"}) {
    SCOPED_TRACE(engine);
    const std::string sampled = "--temp 1.0 --top-p 0.95 --seed ";
    const std::string a = RunIds(engine, sampled + "42");
    EXPECT_EQ(RunIds(engine, sampled + "42"), a);
    EXPECT_EQ(RunIds(engine, sampled + "42 -t 1"), a);
    EXPECT_EQ(RunIds(engine, sampled + "42 -t 2"), a);
    // Not a constant: other seeds give other samples.
    EXPECT_FALSE(RunIds(engine, sampled + "43") == a && RunIds(engine, sampled + "44") == a);
  }
}

TEST(Determinism, SampledTextIsIdenticalForTheSameSeed) {
  const std::string cmd = "run -m " + Tinycode() + " --engine interp -n 12 --temp 0.9 --top-k 40 --seed 7 -p 'def add(a, b):'";
  CliResult a = Dsc(cmd), b = Dsc(cmd + " -t 1"), c = Dsc(cmd + " -t 2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, c.out);
}

}  // namespace
}  // namespace dsc::testing
