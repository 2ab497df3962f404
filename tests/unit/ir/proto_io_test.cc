// Protocol Buffers form: binary and textproto round trips to the same text, versioning, and
// clear errors (naming the field) for bad, garbage and foreign input.
#include <google/protobuf/descriptor.pb.h>

#include <random>

#include "gtest/gtest.h"
#include "ir/printer.h"
#include "ir/proto_io.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;

const char kSmall[] = R"IR(module @m {
  const @w : f32[8,4] = "w" in "m.safetensors" at 0
  func @f[S](%x: f32[S,4]) -> (f32[S,8]) {
    %y = matmul %x, @w : f32[S,8]
    return %y
  }
}
)IR";

proto::ModuleProto SmallProto() {
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(kSmall);
  EXPECT_TRUE(m.ok()) << m.status();
  return ModuleToProto(**m);
}

TEST(ProtoIoTest, BinaryRoundTripPrintsSameText) {
  std::unique_ptr<Module> m = testing::BuildTinyModel(3);
  std::string bytes = SerializeModule(*m);
  absl::StatusOr<std::unique_ptr<Module>> back = ModuleFromBinaryProto(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintModule(**back), PrintModule(*m));
  EXPECT_EQ(SerializeModule(**back), bytes);  // and the bytes are stable
}

TEST(ProtoIoTest, TextProtoRoundTripPrintsSameText) {
  std::unique_ptr<Module> m = testing::BuildTinyModel(2);
  std::string text = ModuleToTextProto(*m);
  EXPECT_NE(text.find("ir_version: 1"), std::string::npos);
  EXPECT_NE(text.find("op: \"quantized_matmul\""), std::string::npos);  // names, not enum numbers
  EXPECT_NE(text.find("local: \"layers.0.x\""), std::string::npos);
  EXPECT_NE(text.find("global: \"model.layers.0.mlp.up_proj\""), std::string::npos);
  absl::StatusOr<std::unique_ptr<Module>> back = ModuleFromTextProto(text, "m.textproto");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintModule(**back), PrintModule(*m));
}

TEST(ProtoIoTest, KeepsEveryAttributeKindAndPrintedNames) {
  Module m;
  Function* body = m.AddFunction("expert", {});
  body->AppendOp(OpCode::kReturn, {}, {}, {});
  Function* f = m.AddFunction("f", {"S", "P"});
  Builder b(f);
  Value* x = f->AddArgument(testing::T("f32[S,12]"), "");  // unnamed: printed and stored as %0
  b.Op(OpCode::kPositions, {}, {{"start", Dim::Symbol("P") + Dim(-1)}, {"length", Dim::Symbol("S")}});
  b.Op(OpCode::kCast, {x}, {{"dtype", DType::kBF16}});
  b.Op(OpCode::kReshape, {x}, {{"shape", Shape{Dim::Symbol("S"), 3, 4}}});
  b.Split(x, -1, {5, 7});
  b.Op(OpCode::kReduce, {x}, {{"kind", std::string("mean")}, {"axes", std::vector<int64_t>{1}}, {"keepdims", true}});
  b.Op(OpCode::kScale, {x}, {{"factor", 0.1}});
  b.Op(OpCode::kMoeExperts,
       {b.Op(OpCode::kReshape, {x}, {{"shape", Shape{Dim::Symbol("S"), 12}}}), f->AddArgument(testing::T("f32[S,2]"), "g"),
        f->AddArgument(testing::T("i32[S,2]"), "e"), f->AddArgument(testing::T("f32[4,8,12]"), "w1"),
        f->AddArgument(testing::T("f32[4,12,8]"), "w2"), f->AddArgument(testing::T("f32[4,8,12]"), "w3")},
       {{"body", SymbolRef{"expert"}}});
  b.Return({x});
  proto::ModuleProto p = ModuleToProto(m);
  EXPECT_EQ(p.functions(1).args(0).name(), "0");
  absl::StatusOr<std::unique_ptr<Module>> back = ModuleFromProto(p);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintModule(**back), PrintModule(m));
}

TEST(ProtoIoTest, VersionIsChecked) {
  proto::ModuleProto p = SmallProto();
  p.set_ir_version(0);
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"ir_version: missing: not a dsc IR module"}));
  p.set_ir_version(2);
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"ir_version: unsupported version 2; this build reads version 1"}));
}

TEST(ProtoIoTest, GarbageBytesAreAnErrorNotACrash) {
  EXPECT_TRUE(HasError(ModuleFromBinaryProto("").status(), {"ir_version: missing"}));
  EXPECT_TRUE(HasError(ModuleFromBinaryProto("\xff\xff\xff\xff\xff").status(), {"not a dsc IR module"}));
  std::mt19937 rng(42);
  std::string good = SmallProto().SerializeAsString();
  for (int i = 0; i < 500; ++i) {
    std::string bytes = good;
    // Flip a few bytes or truncate: whatever comes out must be a clean Status or a valid module.
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (i % 3 == 0) bytes.resize(rng() % bytes.size());
    absl::StatusOr<std::unique_ptr<Module>> m = ModuleFromBinaryProto(bytes);
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
    }
  }
}

TEST(ProtoIoTest, ForeignProtoIsRejected) {
  google::protobuf::FileDescriptorProto foreign;
  foreign.set_name("foo.proto");
  foreign.set_package("foo");
  foreign.add_dependency("bar.proto");
  EXPECT_TRUE(HasError(ModuleFromBinaryProto(foreign.SerializeAsString()).status(), {"not a dsc IR module"}));
  EXPECT_TRUE(HasError(ModuleFromTextProto("name: \"x\"\nsyntax: \"proto3\"\n", "f.textproto").status(),
                       {"f.textproto:2:7:", "no field named \"syntax\""}));
}

TEST(ProtoIoTest, TextProtoSyntaxErrorHasLocation) {
  EXPECT_TRUE(HasError(ParseModuleTextProto("ir_version: 1\nname: \"m\n", "bad.textproto").status(),
                       {"bad.textproto:2:"}));
  EXPECT_TRUE(HasError(ParseModuleTextProto("ir_version: 1\nfunctions { ops { op: 3 } }\n", "t").status(),
                       {"t:2:"}));
}

TEST(ProtoIoTest, FieldErrorsNameThePath) {
  proto::ModuleProto p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->set_op("frobnicate");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0].op: unknown op 'frobnicate'"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->mutable_operands(0)->set_local("nope");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0].operands[0]: undefined local value 'nope'"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->mutable_operands(1)->set_global("nope");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0].operands[1]: undefined global 'nope'"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->mutable_operands(1)->clear_ref();
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"operands[1]: neither local nor global is set"}));

  p = SmallProto();
  p.mutable_constants(0)->mutable_type()->set_dtype("f33");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"constants[0].type.dtype: unknown element type 'f33'"}));

  p = SmallProto();
  p.mutable_constants(0)->mutable_type()->set_format("int3");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"constants[0].type: both dtype and format are set"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_args(0)->mutable_type()->clear_dtype();
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].args[0].type: neither dtype nor format is set"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->mutable_results(0)->mutable_type()->mutable_shape()->mutable_dims(1)->set_offset(9);
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(),
                       {"functions[0].ops[0].results[0].type: f32[S,9] does not match inferred f32[S,8]"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->add_results()->set_name("extra");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0].results: 'matmul' produces 1 results, the proto lists 2"}));

  p = SmallProto();
  p.mutable_functions(0)->mutable_ops(0)->add_attrs()->set_name("foo");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0].attrs[0]: attribute 'foo' has no value"}));
  p.mutable_functions(0)->mutable_ops(0)->mutable_attrs(0)->set_i(3);
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"functions[0].ops[0]: 'matmul': unknown attribute 'foo'"}));

  p = SmallProto();
  *p.add_constants() = p.constants(0);
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"constants[1].name: global 'w' is defined twice"}));
}

TEST(ProtoIoTest, VerifierRunsAfterLoading) {
  proto::ModuleProto p = SmallProto();
  p.mutable_functions(0)->mutable_ops()->RemoveLast();  // drop the return
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"function @f: body must end with 'return'"}));
  p = SmallProto();
  p.mutable_functions(0)->mutable_args(0)->mutable_type()->mutable_shape()->mutable_dims(0)->set_symbols(0, "Q");
  p.mutable_functions(0)->mutable_ops(0)->mutable_results(0)->mutable_type()->mutable_shape()->mutable_dims(0)->set_symbols(0, "Q");
  EXPECT_TRUE(HasError(ModuleFromProto(p).status(), {"function @f, argument %x: symbol 'Q' is not declared"}));
}

}  // namespace
}  // namespace dsc::ir
