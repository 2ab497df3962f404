// The op table: completeness, unique names, schema checks shared by all ops.
#include <set>

#include "gtest/gtest.h"
#include "ir/op_registry.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Infer;

TEST(RegistryTest, EveryOpCodeHasInfo) {
  for (int i = 0; i < kNumOpCodes; ++i) {
    OpCode code = static_cast<OpCode>(i);
    const OpInfo& info = GetOpInfo(code);
    SCOPED_TRACE(std::string(info.name));
    EXPECT_EQ(info.code, code);
    EXPECT_FALSE(info.name.empty());
    EXPECT_NE(info.infer, nullptr);
    EXPECT_EQ(OpCodeFromName(info.name), code);
    EXPECT_LE(info.min_operands, static_cast<int>(info.operands.size()));
    if (info.variadic) {
      EXPECT_FALSE(info.operands.empty());
    }
  }
}

TEST(RegistryTest, NamesAreUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (int i = 0; i < kNumOpCodes; ++i) {
    std::string_view n = GetOpInfo(static_cast<OpCode>(i)).name;
    names.insert(n);
    for (char c : n) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << n;
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumOpCodes));
  EXPECT_EQ(OpCodeFromName("matmull"), std::nullopt);
  EXPECT_EQ(OpCodeFromName("Matmul"), std::nullopt);
}

TEST(RegistryTest, AttributeSchemasAreConsistent) {
  for (int i = 0; i < kNumOpCodes; ++i) {
    const OpInfo& info = GetOpInfo(static_cast<OpCode>(i));
    std::set<std::string> attr_names;
    for (const AttrSpec& spec : info.attrs) {
      SCOPED_TRACE(absl::StrCat(std::string(info.name), ".", spec.name));
      EXPECT_TRUE(attr_names.insert(spec.name).second) << "duplicate attribute";
      if (spec.default_value) {
        EXPECT_EQ(KindOf(*spec.default_value), spec.kind);
      }
    }
  }
}

TEST(RegistryTest, SideEffectFlags) {
  EXPECT_TRUE(GetOpInfo(OpCode::kCacheWrite).has_side_effects);
  EXPECT_TRUE(GetOpInfo(OpCode::kReturn).has_side_effects);
  EXPECT_TRUE(GetOpInfo(OpCode::kCacheRead).reads_state);
  EXPECT_FALSE(GetOpInfo(OpCode::kCacheRead).has_side_effects);
  EXPECT_FALSE(GetOpInfo(OpCode::kMatmul).has_side_effects);
  EXPECT_FALSE(GetOpInfo(OpCode::kMatmul).reads_state);
}

TEST(InferSchemaTest, OperandCount) {
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[S,4]"}), {"'matmul': expected 2 operands, got 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,1,4]"}), {"'attention': expected 3 to 4 operands, got 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kConcat, {}, {{"axis", int64_t{0}}}), {"'concat': expected at least 1 operands, got 0"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kSilu, {"f32[2]", "f32[2]"}), {"'silu': expected 1 operands, got 2"}));
}

TEST(InferSchemaTest, UnknownAttribute) {
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[S,4]", "f32[8,4]"}, {{"foo", int64_t{1}}}),
                       {"'matmul': unknown attribute 'foo'"}));
}

TEST(InferSchemaTest, AttributeKindMismatch) {
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"f32[S,4]", "f32[4]"}, {{"eps", int64_t{1}}}),
                       {"'rms_norm': attribute 'eps' must be a float, got a int"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kCast, {"f32[4]"}, {{"dtype", std::string("bf16")}}),
                       {"attribute 'dtype' must be a dtype, got a string"}));
}

TEST(InferSchemaTest, MissingRequiredAttribute) {
  EXPECT_TRUE(HasError(Infer(OpCode::kScale, {"f32[4]"}), {"'scale': missing required attribute 'factor'"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kSlice, {"f32[4]"}, {{"axis", int64_t{0}}, {"start", int64_t{0}}}),
                       {"missing required attribute 'end'"}));
}

TEST(InferSchemaTest, DefaultsAreFilledIn) {
  AttrMap attrs;
  std::vector<Type> ops = {testing::T("f32[S,4]"), testing::T("f32[4]")};
  ASSERT_TRUE(InferResultTypes(OpCode::kRmsNorm, ops, attrs).ok());
  EXPECT_EQ(GetFloat(attrs, "eps"), 1e-6);
  AttrMap fp8;
  ASSERT_TRUE(InferResultTypes(OpCode::kFp8RoundTrip, {testing::T("f32[S,256]")}, fp8).ok());
  EXPECT_EQ(GetInt(fp8, "block"), 128);
  EXPECT_EQ(GetString(fp8, "scale_fmt"), "ue8m0");
}

}  // namespace
}  // namespace dsc::ir
