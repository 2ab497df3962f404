// Graphviz export: nodes, edges, labels and per-layer clusters of a 3-layer model.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "ir/dot_export.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(DotExportTest, ThreeLayerModel) {
  std::unique_ptr<Module> m = testing::BuildTinyModel(3);
  std::string dot = ExportDot(*m, *m->functions()[0]);
  EXPECT_TRUE(dot.starts_with("digraph \"prefill\" {\n")) << dot;
  EXPECT_TRUE(dot.ends_with("}\n"));
  for (int l = 0; l < 3; ++l) {
    EXPECT_TRUE(Contains(dot, absl::StrCat("subgraph cluster_layer_", l, " {\n    label=\"layer ", l, "\""))) << l;
    EXPECT_TRUE(Contains(dot, absl::StrCat("label=\"model.layers.", l, ".mlp.gate_proj\\nnvfp4[128,64]\"")));
    EXPECT_TRUE(Contains(dot, absl::StrCat("label=\"state kv.", l, "\\nf32[512,64]\", shape=cylinder")));
  }
  EXPECT_FALSE(Contains(dot, "cluster_layer_3"));
  // Arguments, op labels with results and non-default attributes, edges by value or role.
  EXPECT_TRUE(Contains(dot, "a0 [label=\"%tokens\\ni32[S]\", shape=ellipse"));
  EXPECT_TRUE(Contains(dot, "o0 [label=\"embedding\\n%h : f32[S,64]\"]"));
  EXPECT_TRUE(Contains(dot, "[label=\"cache_read\\n%layers.0.kv : f32[P+S,64]\\nlength = P+S\"]"));
  EXPECT_TRUE(Contains(dot, "attention\\n%"));
  EXPECT_TRUE(Contains(dot, "scale = 0.125\\ncausal = true\\nstart = P"));
  EXPECT_TRUE(Contains(dot, "a0 -> o0 [label=\"%tokens\"]"));
  EXPECT_TRUE(Contains(dot, "c0 -> o0 [label=\"table\"]"));
  EXPECT_TRUE(Contains(dot, "o0 -> o1 [label=\"%h\"]"));
  EXPECT_TRUE(Contains(dot, "[label=\"write\", style=dashed]"));
  EXPECT_TRUE(Contains(dot, "shape=octagon"));
  // One node per op, one edge per operand.
  size_t ops = m->functions()[0]->num_ops(), operands = 0;
  for (const auto& op : m->functions()[0]->ops()) operands += op->num_operands();
  size_t nodes = 0, edges = 0;
  for (absl::string_view line : absl::StrSplit(dot, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StrContains(line, " -> ")) {
      ++edges;
    } else if (line.size() > 1 && line[0] == 'o' && absl::ascii_isdigit(line[1])) {
      ++nodes;
    }
  }
  EXPECT_EQ(nodes, ops);
  EXPECT_EQ(edges, operands);
}

TEST(DotExportTest, ResidualAddsJoinTheirLayerFinalHeadStaysOut) {
  std::unique_ptr<Module> m = testing::BuildTinyModel(2);
  std::string dot = ExportDot(*m, *m->functions()[0]);
  size_t cluster1 = dot.find("subgraph cluster_layer_1");
  size_t out1 = dot.find("%layers.1.out");
  ASSERT_NE(out1, std::string::npos);
  EXPECT_GT(out1, cluster1);
  size_t final_norm = dot.find("%final : f32[S,64]");
  EXPECT_LT(final_norm, dot.find("subgraph cluster_layer_0"));  // unclustered nodes come first
}

TEST(DotExportTest, EscapesNames) {
  Module m("m");
  m.AddConstant("w \"q\"", testing::T("f32[4]"), {testing::Ref("w")});
  Function* f = m.AddFunction("f\"n", {});
  Builder b(f);
  Value* x = f->AddArgument(testing::T("f32[4]"), "x");
  b.Return({b.Add(x, m.FindGlobal("w \"q\""))});
  std::string dot = ExportDot(m, *f);
  EXPECT_TRUE(Contains(dot, "digraph \"f\\\"n\""));
  EXPECT_TRUE(Contains(dot, "label=\"w \\\"q\\\"\\nf32[4]\""));
}

TEST(DotExportTest, LayerOfName) {
  EXPECT_EQ(LayerOfName("model.layers.3.self_attn.q_a_proj"), 3);
  EXPECT_EQ(LayerOfName("layers.12.attn"), 12);
  EXPECT_EQ(LayerOfName("blk.0.ffn"), 0);
  EXPECT_EQ(LayerOfName("l7.x"), 7);
  EXPECT_EQ(LayerOfName("layer2"), 2);
  EXPECT_EQ(LayerOfName("model.norm.weight"), std::nullopt);
  EXPECT_EQ(LayerOfName("kv.0"), std::nullopt);
  EXPECT_EQ(LayerOfName("l2norm"), std::nullopt);
  EXPECT_EQ(LayerOfName("layers.x"), std::nullopt);
}

}  // namespace
}  // namespace dsc::ir
