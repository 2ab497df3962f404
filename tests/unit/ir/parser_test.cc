// Parser round trips: Print(Parse(Print(m))) == Print(m) for built modules, the checked-in
// .ir files, floats, strings, names and symbolic dims; and the structure the parser builds.
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::T;

// Parses `text` and returns the printed module (or the error message).
std::string Reprint(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(text, "t.ir");
  if (!m.ok()) return std::string(m.status().message());
  return PrintModule(**m);
}

TEST(ParserTest, RoundTripsBuiltModels) {
  for (int layers : {1, 3}) {
    std::string text = PrintModule(*testing::BuildTinyModel(layers));
    EXPECT_EQ(Reprint(text), text);
  }
}

TEST(ParserTest, RoundTripsCheckedInIrFiles) {
  // The .ir FileCheck tests are canonical text plus `//` lines (RUN/CHECK), which the parser
  // skips; without those lines each file is exactly what the printer writes.
  for (const char* name : {"roundtrip_mlp.ir", "roundtrip_moe.ir", "roundtrip_misc.ir"}) {
    std::ifstream in(std::string(DSC_SOURCE_DIR) + "/tests/filecheck/ir/" + name);
    ASSERT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    std::string canonical;
    for (absl::string_view line : absl::StrSplit(ss.str(), '\n')) {
      if (line.substr(0, 2) != "//") absl::StrAppend(&canonical, line, "\n");
    }
    canonical.pop_back();  // StrSplit yields an empty last piece after the final newline
    EXPECT_EQ(Reprint(ss.str()), canonical) << name;
  }
}

TEST(ParserTest, FloatsRoundTripBitExactly) {
  const double values[] = {0.1, 1e-06, 1e+20, -0.0, 5e-324, 1.7976931348623157e+308, 3.0,
                           123456789.125, -2.5, INFINITY, -INFINITY};
  std::string text = "module @floats {\n  func @f(%x: f32[4]) -> (f32[4]) {\n";
  std::string prev = "x";
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string name = absl::StrCat("v", i);
    absl::StrAppend(&text, "    %", name, " = scale %", prev, " {factor = ", AttrToString(AttrValue(values[i])),
                    "} : f32[4]\n");
    prev = name;
  }
  absl::StrAppend(&text, "    %n = scale %", prev, " {factor = nan} : f32[4]\n    return %n\n  }\n}\n");
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(text);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(PrintModule(**m), text);
  const Function& f = *(*m)->functions()[0];
  for (size_t i = 0; i < std::size(values); ++i) {
    double got = GetFloat(f.ops()[i]->attrs(), "factor");
    EXPECT_EQ(std::memcmp(&got, &values[i], sizeof(double)), 0) << values[i];
  }
  EXPECT_TRUE(std::isnan(GetFloat(f.ops()[std::size(values)]->attrs(), "factor")));
}

TEST(ParserTest, RoundTripsStringsAndQuotedNames) {
  Module m("odd module");
  m.metadata()["k\x01"] = "tab\there \"quoted\" back\\slash \xc3\xa9 newline\n";
  m.metadata()[""] = "";
  m.AddConstant("w eight", T("f32[4]"), {{"odd \"tensor\"", "dir/shard 1.safetensors", 18446744073709551615ull}});
  Function* f = m.AddFunction("my func", {});
  Value* x = f->AddArgument(T("f32[4]"), "x");
  Builder b(f);
  Value* y = b.Named("y").Add(x, m.FindGlobal("w eight"));
  b.Return({y});
  std::string text = PrintModule(m);
  EXPECT_NE(text.find("@\"w eight\""), std::string::npos);
  EXPECT_EQ(Reprint(text), text);
  absl::StatusOr<std::unique_ptr<Module>> back = ParseModule(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->metadata(), m.metadata());
  EXPECT_EQ((*back)->constants()[0]->parts()[0], m.constants()[0]->parts()[0]);
  EXPECT_EQ((*back)->name(), "odd module");
}

TEST(ParserTest, RoundTripsSymbolicDims) {
  const std::string text =
      "module @dims {\n"
      "  func @f[S, P](%x: f32[P+S-1,4], %k: f32[P+S+S,2]) -> (i64[S], f32[P+S-1,4], f32[P+S-1,2]) {\n"
      "    %pos = positions {start = P-1, length = S} : i64[S]\n"
      "    %y = reshape %x {shape = [P+S-1,2,2]} : f32[P+S-1,2,2]\n"
      "    %z = reshape %y {shape = [P+S-1,4]} : f32[P+S-1,4]\n"
      "    %w = slice %z {axis = 1, start = 1, end = 3} : f32[P+S-1,2]\n"
      "    return %pos, %z, %w\n"
      "  }\n"
      "}\n";
  EXPECT_EQ(Reprint(text), text);
  // Symbols in a sum may be written in any order; they print sorted.
  EXPECT_EQ(ParseType("f32[S+P+1]")->ToString(), "f32[P+S+1]");
  EXPECT_EQ(ParseType("f32[1+S]")->ToString(), "f32[S+1]");
}

TEST(ParserTest, KeepsValueNamesAndBuildsStructure) {
  std::string text = PrintModule(*testing::BuildTinyModel(2));
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(text);
  ASSERT_TRUE(m.ok()) << m.status();
  const Module& mod = **m;
  EXPECT_EQ(mod.name(), "tiny");
  EXPECT_EQ(mod.metadata().at("num_hidden_layers"), "2");
  const Value* gate = mod.FindGlobal("model.layers.1.mlp.gate_proj");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(gate->type().ToString(), "nvfp4[128,64]");
  ASSERT_EQ(gate->parts().size(), 3u);
  EXPECT_EQ(gate->parts()[1].tensor, "model.layers.1.mlp.gate_proj.weight_scale");
  EXPECT_EQ(mod.states().size(), 2u);
  const Function* f = mod.FindFunction("prefill");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->symbols(), (std::vector<std::string>{"S", "P"}));
  EXPECT_EQ(f->argument(0)->name(), "tokens");
  EXPECT_EQ(f->ops()[0]->result()->name(), "h");
  EXPECT_EQ(f->ops()[0]->operand(0), mod.FindGlobal("model.embed_tokens.weight"));
  EXPECT_EQ(f->ops()[1]->operand(0), f->ops()[0]->result());
  EXPECT_EQ(f->ResultTypes()[0].ToString(), "f32[S,256]");
}

TEST(ParserTest, SkipsCommentsAndAcceptsLooseWhitespace) {
  const std::string loose =
      "// leading comment\n"
      "\n"
      "module   @m{ // trailing comment\n"
      "  meta \"a\"=\"b\"\n"
      "\tconst @w:f32[4]=\"w\" in \"f.safetensors\" at 8\n"
      "  func @f [S] ( %x : f32[S,4] ) -> ( f32[S,4] ) {\n"
      "\n"
      "    %y=add %x,@w:f32[S,4]   // a comment containing \"quotes\"\n"
      "    return %y\n"
      "  }\n"
      "}\n"
      "// RUN: lines at the end are fine too\n";
  EXPECT_EQ(Reprint(loose),
            "module @m {\n"
            "  meta \"a\" = \"b\"\n"
            "  const @w : f32[4] = \"w\" in \"f.safetensors\" at 8\n"
            "  func @f[S](%x: f32[S,4]) -> (f32[S,4]) {\n"
            "    %y = add %x, @w : f32[S,4]\n"
            "    return %y\n"
            "  }\n"
            "}\n");
}

TEST(ParserTest, FillsDefaultsAndChecksEveryOp) {
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(
      "module @m {\n  func @f[S](%x: f32[S,4], %w: f32[4]) -> (f32[S,4]) {\n"
      "    %y = rms_norm %x, %w : f32[S,4]\n    return %y\n  }\n}\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(GetFloat((*m)->functions()[0]->ops()[0]->attrs(), "eps"), 1e-6);
}

// Random edits of a valid file never crash the parser: each gives a located error, or a module
// that is valid and round-trips like any other.
TEST(ParserTest, MutatedInputsNeverCrash) {
  std::ifstream in(std::string(DSC_SOURCE_DIR) + "/tests/filecheck/ir/roundtrip_moe.ir");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string original = ss.str();
  ASSERT_FALSE(original.empty());
  const std::string alphabet = "%@{}[](),:=+-\"\\\n 0123456789SPTxf32i64nvfp4.e_";
  std::mt19937 rng(7);
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = original;
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
      size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0: text.erase(pos, 1 + rng() % 8); break;
        case 1: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        default: text[pos] = alphabet[rng() % alphabet.size()];
      }
    }
    absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(text, "fuzz.ir");
    if (!m.ok()) {
      ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
      ASSERT_TRUE(absl::StartsWith(m.status().message(), "fuzz.ir:")) << m.status();
      continue;
    }
    ++parsed;
    std::string printed = PrintModule(**m);
    ASSERT_EQ(Reprint(printed), printed);
  }
  EXPECT_GT(parsed, 0);  // some edits only touch comments, names or offsets
}

TEST(ParserTest, EmptyModuleAndDefaultFilename) {
  EXPECT_EQ(Reprint("module @m {\n}\n"), "module @m {\n}\n");
  absl::StatusOr<std::unique_ptr<Module>> bad = ParseModule("modul @m {}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "<input>:1:1: expected 'module', got 'modul'");
  EXPECT_EQ(ParseModule("").status().message(), "<input>:1:1: expected 'module', got end of file");
  EXPECT_EQ(ParseModule("module @m {}\nmodule").status().message(),
            "<input>:2:1: expected end of file after the module, got 'module'");
}

}  // namespace
}  // namespace dsc::ir
