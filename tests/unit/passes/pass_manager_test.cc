// The pass manager: pipeline strings, verification after every pass, printing hooks, counters.
#include "passes/pass_manager.h"

#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "passes/pass_registry.h"
#include "passes/pipelines.h"

namespace dsc::passes {
namespace {

using ir::DType;
using ir::OpCode;

// func @f[S](%x: f32[S,4]) -> (f32[S,4]) { %a = scale %x {factor = 1.0}; return %a }
std::unique_ptr<ir::Module> ScaleByOne() {
  auto m = std::make_unique<ir::Module>("t");
  ir::Function* f = m->AddFunction("f", {"S"});
  ir::Value* x = f->AddArgument(ir::Type::Tensor(DType::kF32, ir::Shape{ir::Dim::Symbol("S"), 4}), "x");
  ir::Builder b(f);
  b.Return({b.Scale(x, 1.0)});
  return m;
}

// A pass that leaves a dangling operand: the verifier must catch it.
class BreakingPass : public Pass {
 public:
  std::string_view name() const override { return "break"; }
  absl::StatusOr<bool> Run(ir::Module& module) override {
    ir::Function* f = module.FindFunction("f");
    f->terminator()->set_operand(0, f->ops()[0]->result(0));  // still valid
    ir::Function* g = module.AddFunction("g", {});
    ir::Builder(g).Return({f->argument(0)});  // another function's argument: invalid
    return true;
  }
};

TEST(PassManager, RegistryKnowsEveryDefaultPass) {
  for (EntryKind kind : {EntryKind::kPrefill, EntryKind::kDecode}) {
    for (const std::string& name : DefaultPassList(kind)) EXPECT_TRUE(CreatePass(name).ok()) << name;
  }
  EXPECT_EQ(RegisteredPasses().size(), 10u);
}

TEST(PassManager, ParsesPipelinesWithFunctionGroups) {
  PassManager pm;
  ASSERT_TRUE(pm.AddPipeline(" canonicalize , @decode( absorb-mla,dce ),cse").ok());
  EXPECT_EQ(pm.PipelineString(), "canonicalize,@decode(absorb-mla,dce),cse");
  PassManager empty;
  EXPECT_TRUE(empty.AddPipeline("").ok());
  EXPECT_EQ(empty.PipelineString(), "");
}

TEST(PassManager, RejectsMalformedPipelines) {
  for (const char* bad : {"canonicalize,,dce", "@decode(dce", "dce)", "@(dce)", "@f(a(b))", "@f dce"}) {
    PassManager pm;
    EXPECT_EQ(pm.AddPipeline(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  PassManager pm;
  absl::Status s = pm.AddPipeline("canonicalize,fuse-everything");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("unknown pass 'fuse-everything'"), std::string::npos) << s;
  EXPECT_NE(s.message().find("fuse-quantized-matmul"), std::string::npos) << "lists the known passes";
}

TEST(PassManager, RunsPassesAndRecordsCounters) {
  std::unique_ptr<ir::Module> m = ScaleByOne();
  PassManager pm;
  ASSERT_TRUE(pm.AddPipeline("canonicalize,dce").ok());
  absl::StatusOr<bool> changed = pm.Run(*m);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(m->FindFunction("f")->num_ops(), 1u);  // only `return %x` is left
  ASSERT_EQ(pm.records().size(), 2u);
  EXPECT_EQ(pm.records()[0].pass, "canonicalize");
  EXPECT_TRUE(pm.records()[0].changed);
  ASSERT_EQ(pm.records()[0].counters.size(), 1u);
  EXPECT_EQ(pm.records()[0].counters[0], (std::pair<std::string, int64_t>{"scale folded", 1}));
  EXPECT_FALSE(pm.records()[1].changed);
  std::string report = pm.StatisticsReport();
  EXPECT_NE(report.find("canonicalize: 1 scale folded"), std::string::npos) << report;
  EXPECT_NE(report.find("dce: no change"), std::string::npos) << report;
  EXPECT_NE(report.find("total: 2 passes"), std::string::npos) << report;
  // A second run finds nothing to do.
  changed = pm.Run(*m);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
}

TEST(PassManager, VerifiesAfterEveryPass) {
  std::unique_ptr<ir::Module> m = ScaleByOne();
  PassManager pm;
  pm.AddPass(std::make_unique<BreakingPass>());
  ASSERT_TRUE(pm.AddPipeline("dce").ok());
  absl::StatusOr<bool> r = pm.Run(*m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("pass 'break' produced invalid IR"), std::string::npos) << r.status();
  EXPECT_TRUE(pm.records().size() == 1u) << "stops at the broken pass";

  std::unique_ptr<ir::Module> m2 = ScaleByOne();
  PassManagerOptions no_verify;
  no_verify.verify_each = false;
  PassManager unchecked(no_verify);
  unchecked.AddPass(std::make_unique<BreakingPass>());
  EXPECT_TRUE(unchecked.Run(*m2).ok()) << "verification can be turned off";
  EXPECT_FALSE(ir::Verify(*m2).ok());
}

TEST(PassManager, PrintsAfterNamedOrAllPasses) {
  std::vector<std::string> printed;
  PassManagerOptions options;
  options.print_after = {"dce"};
  options.print = [&](const Pass& p, const ir::Module& m) {
    printed.push_back(std::string(p.name()) + ":" + std::to_string(m.FindFunction("f")->num_ops()));
  };
  std::unique_ptr<ir::Module> m = ScaleByOne();
  PassManager pm(options);
  ASSERT_TRUE(pm.AddPipeline("cse,dce").ok());
  ASSERT_TRUE(pm.Run(*m).ok());
  EXPECT_EQ(printed, (std::vector<std::string>{"dce:2"}));

  printed.clear();
  options.print_after.clear();
  options.print_after_all = true;
  PassManager all(options);
  ASSERT_TRUE(all.AddPipeline("cse,canonicalize").ok());
  ASSERT_TRUE(all.Run(*m).ok());
  EXPECT_EQ(printed, (std::vector<std::string>{"cse:2", "canonicalize:1"}));
}

TEST(PassManager, FunctionGroupsOnlyTouchTheirFunction) {
  auto m = std::make_unique<ir::Module>("t");
  for (const char* name : {"a", "b"}) {
    ir::Function* f = m->AddFunction(name, {});
    ir::Value* x = f->AddArgument(ir::Type::Tensor(DType::kF32, ir::Shape{4}), "x");
    ir::Builder b(f);
    b.Return({b.Scale(x, 1.0)});
  }
  PassManager pm;
  ASSERT_TRUE(pm.AddPipeline("@b(canonicalize)").ok());
  ASSERT_TRUE(pm.Run(*m).ok());
  EXPECT_EQ(m->FindFunction("a")->num_ops(), 2u);
  EXPECT_EQ(m->FindFunction("b")->num_ops(), 1u);
}

TEST(Pipelines, DefaultPipelinePerEntryFunction) {
  auto m = std::make_unique<ir::Module>("t");
  for (const char* name : {"prefill", "decode"}) {
    ir::Function* f = m->AddFunction(name, {});
    ir::Builder(f).Return({});
  }
  std::string p = DefaultPipeline(*m);
  EXPECT_EQ(p.find("@prefill(canonicalize,"), 0u) << p;
  EXPECT_NE(p.find("@decode(canonicalize,constant-fold,specialize-shapes,absorb-mla,"), std::string::npos) << p;
  EXPECT_EQ(p.find("absorb-mla"), p.rfind("absorb-mla")) << "absorption is for decode only";
  PassManager pm;
  EXPECT_TRUE(pm.AddPipeline(p).ok());
  EXPECT_EQ(pm.PipelineString(), p);
}

}  // namespace
}  // namespace dsc::passes
