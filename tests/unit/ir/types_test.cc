// Element types, quantized formats, symbolic dims, shapes, types and attribute printing.
#include <cmath>
#include <limits>
#include <set>

#include "gtest/gtest.h"
#include "ir/attribute.h"
#include "ir/op_rules.h"
#include "ir/type.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::T;

TEST(DTypeTest, NamesRoundTripAndAreUnique) {
  const char* expected[] = {"f32", "f16", "bf16", "f8e4m3", "e2m1", "u8", "i32", "i64", "bool"};
  std::set<std::string_view> seen;
  for (int i = 0; i < kNumDTypes; ++i) {
    DType t = static_cast<DType>(i);
    EXPECT_EQ(DTypeName(t), expected[i]);
    EXPECT_EQ(DTypeFromName(DTypeName(t)), t);
    seen.insert(DTypeName(t));
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kNumDTypes));
  EXPECT_EQ(DTypeFromName("f33"), std::nullopt);
  EXPECT_EQ(DTypeFromName(""), std::nullopt);
}

TEST(DTypeTest, BitsAndClasses) {
  EXPECT_EQ(DTypeBits(DType::kE2M1), 4);
  EXPECT_EQ(DTypeBits(DType::kF8E4M3), 8);
  EXPECT_EQ(DTypeBits(DType::kBF16), 16);
  EXPECT_EQ(DTypeBits(DType::kI64), 64);
  EXPECT_TRUE(IsFloat(DType::kBF16));
  EXPECT_TRUE(IsFloat(DType::kE2M1));
  EXPECT_FALSE(IsFloat(DType::kI32));
  EXPECT_TRUE(IsInteger(DType::kU8));
  EXPECT_FALSE(IsInteger(DType::kBool));
  EXPECT_FALSE(IsInteger(DType::kF32));
}

TEST(QuantFormatTest, NamesAndStorageParts) {
  EXPECT_EQ(QuantFormatName(QuantFormat::kNvfp4), "nvfp4");
  EXPECT_EQ(QuantFormatFromName("fp8b128"), QuantFormat::kFp8Block128);
  EXPECT_EQ(QuantFormatFromName("int4"), std::nullopt);

  std::vector<QuantPart> nv = QuantParts(QuantFormat::kNvfp4, 128, 64);
  ASSERT_EQ(nv.size(), 3u);
  EXPECT_EQ(nv[0].role, "codes");
  EXPECT_EQ(Type::Tensor(nv[0].dtype, nv[0].shape).ToString(), "u8[128,32]");
  EXPECT_EQ(Type::Tensor(nv[1].dtype, nv[1].shape).ToString(), "f8e4m3[128,4]");
  EXPECT_EQ(Type::Tensor(nv[2].dtype, nv[2].shape).ToString(), "f32[]");

  std::vector<QuantPart> fp8 = QuantParts(QuantFormat::kFp8Block128, 300, 200);
  ASSERT_EQ(fp8.size(), 2u);
  EXPECT_EQ(Type::Tensor(fp8[0].dtype, fp8[0].shape).ToString(), "f8e4m3[300,200]");
  EXPECT_EQ(fp8[1].role, "scale_inv");
  EXPECT_EQ(Type::Tensor(fp8[1].dtype, fp8[1].shape).ToString(), "f32[3,2]");
}

TEST(DimTest, StaticAndSymbolic) {
  Dim d(7168);
  EXPECT_TRUE(d.is_static());
  EXPECT_EQ(d.offset(), 7168);
  EXPECT_EQ(d.ToString(), "7168");
  Dim s = Dim::Symbol("S");
  EXPECT_FALSE(s.is_static());
  EXPECT_EQ(s.ToString(), "S");
  EXPECT_EQ(Dim(-2).ToString(), "-2");
}

TEST(DimTest, ArithmeticIsCanonical) {
  Dim p = Dim::Symbol("P"), s = Dim::Symbol("S");
  EXPECT_EQ((s + p).ToString(), "P+S");
  EXPECT_EQ(s + p, p + s);
  EXPECT_EQ((p + s + Dim(1)).ToString(), "P+S+1");
  EXPECT_EQ((Dim(-1) + s).ToString(), "S-1");
  EXPECT_EQ((s + s).ToString(), "S+S");
  EXPECT_EQ((Dim(3) + Dim(4)), Dim(7));
  EXPECT_NE(s + Dim(1), s);
  EXPECT_EQ((s + Dim(1) + Dim(-1)), s);
}

TEST(DimTest, Evaluate) {
  SymbolBindings b = {{"S", 5}, {"P", 100}};
  EXPECT_EQ(*(Dim::Symbol("P") + Dim::Symbol("S") + Dim(1)).Evaluate(b), 106);
  EXPECT_EQ(*Dim(7).Evaluate({}), 7);
  absl::StatusOr<int64_t> missing = Dim::Symbol("T").Evaluate(b);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'T'"), std::string::npos);
}

TEST(ShapeTest, PrintAndEvaluate) {
  Shape s{Dim::Symbol("S"), 7168};
  EXPECT_EQ(s.ToString(), "[S,7168]");
  EXPECT_EQ(s.rank(), 2);
  EXPECT_FALSE(s.is_static());
  EXPECT_EQ(s.at(-1), Dim(7168));
  EXPECT_EQ(Shape{}.ToString(), "[]");
  EXPECT_EQ(Shape{}.num_elements(), 1);
  EXPECT_EQ((Shape{2, 3, 4}).num_elements(), 24);
  EXPECT_EQ(*s.Evaluate({{"S", 3}}), (std::vector<int64_t>{3, 7168}));
  absl::StatusOr<std::vector<int64_t>> neg = Shape{Dim::Symbol("S") + Dim(-4)}.Evaluate({{"S", 3}});
  EXPECT_TRUE(HasError(neg.status(), {"S-4", "evaluates to -1"}));
}

TEST(TypeTest, ToStringAndEquality) {
  Type t = Type::Tensor(DType::kF32, Shape{Dim::Symbol("S"), 7168});
  EXPECT_EQ(t.ToString(), "f32[S,7168]");
  Type q = Type::Quantized(QuantFormat::kNvfp4, Shape{2048, 7168});
  EXPECT_EQ(q.ToString(), "nvfp4[2048,7168]");
  EXPECT_TRUE(q.is_quantized());
  EXPECT_EQ(q.dtype(), DType::kF32);  // what dequantization yields
  EXPECT_EQ(Type::Quantized(QuantFormat::kFp8Block128, Shape{576, 7168}).ToString(), "fp8b128[576,7168]");
  EXPECT_NE(Type::Tensor(DType::kF32, Shape{2048, 7168}), q);
  EXPECT_NE(t, Type::Tensor(DType::kBF16, Shape{Dim::Symbol("S"), 7168}));
}

TEST(ParseTypeTest, ReadsWhatToStringWrites) {
  for (const char* s : {"f32[S,7168]", "bf16[]", "nvfp4[256,7168]", "fp8b128[576,7168]", "i64[P+S+1]",
                        "e2m1[S-1,4]", "bool[2,3,4]", "f8e4m3[0]"}) {
    absl::StatusOr<Type> t = ParseType(s);
    ASSERT_TRUE(t.ok()) << s << ": " << t.status();
    EXPECT_EQ(t->ToString(), s);
  }
  EXPECT_TRUE(HasError(ParseType("f33[1]").status(), {"<type>:1:1: unknown element type 'f33'"}));
  EXPECT_TRUE(HasError(ParseType("f32[S,4").status(), {"<type>:1:8:", "expected ',' or ']'"}));
  EXPECT_TRUE(HasError(ParseType("f32[S--1]").status(), {"expected an integer after '-'"}));
  EXPECT_TRUE(HasError(ParseType("f32[4,-1]").status(), {"<type>:1:7: negative dimension -1"}));
  EXPECT_TRUE(HasError(ParseType("f32[9223372036854775807+1]").status(), {"<type>:1:25: dimension out of range"}));
  EXPECT_TRUE(HasError(ParseType("f32[9223372036854775808]").status(), {"integer 9223372036854775808 is out of range"}));
  EXPECT_EQ(ParseType("f32[S-9223372036854775808]")->ToString(), "f32[S-9223372036854775808]");
}

TEST(AttributeTest, PrintsEveryKind) {
  EXPECT_EQ(AttrToString(AttrValue(true)), "true");
  EXPECT_EQ(AttrToString(AttrValue(int64_t{-1})), "-1");
  EXPECT_EQ(AttrToString(AttrValue(1.5)), "1.5");
  EXPECT_EQ(AttrToString(AttrValue(1e-6)), "1e-06");
  EXPECT_EQ(AttrToString(AttrValue(3.0)), "3.0");
  EXPECT_EQ(AttrToString(AttrValue(0.1)), "0.1");
  EXPECT_EQ(AttrToString(AttrValue(-std::numeric_limits<double>::infinity())), "-inf");
  EXPECT_EQ(AttrToString(AttrValue(std::nan(""))), "nan");
  EXPECT_EQ(AttrToString(AttrValue(std::string("a\"b\\c\n\t\x01"))), "\"a\\\"b\\\\c\\n\\t\\x01\"");
  EXPECT_EQ(AttrToString(AttrValue(std::vector<int64_t>{1, -2})), "[1, -2]");
  EXPECT_EQ(AttrToString(AttrValue(std::vector<double>{0.5, 2.0})), "[0.5, 2.0]");
  EXPECT_EQ(AttrToString(AttrValue(Dim::Symbol("P") + Dim::Symbol("S"))), "P+S");
  EXPECT_EQ(AttrToString(AttrValue(Shape{Dim::Symbol("S"), 7168})), "[S,7168]");
  EXPECT_EQ(AttrToString(AttrValue(DType::kBF16)), "bf16");
  EXPECT_EQ(AttrToString(AttrValue(SymbolRef{"expert"})), "@expert");
  EXPECT_EQ(KindOf(AttrValue(SymbolRef{"x"})), AttrKind::kSymbol);
  EXPECT_EQ(AttrKindName(AttrKind::kFloats), "float list");
}

TEST(BroadcastTest, NumpyRules) {
  auto bc = [](const char* a, const char* b) {
    absl::StatusOr<Shape> s = rules::Broadcast(T(a).shape(), T(b).shape());
    return s.ok() ? s->ToString() : std::string("error: ") + std::string(s.status().message());
  };
  EXPECT_EQ(bc("f32[S,1]", "f32[4]"), "[S,4]");
  EXPECT_EQ(bc("f32[2,3]", "f32[3]"), "[2,3]");
  EXPECT_EQ(bc("f32[]", "f32[S]"), "[S]");
  EXPECT_EQ(bc("f32[1,P+S]", "f32[S+P]"), "[1,P+S]");
  EXPECT_TRUE(HasError(bc("f32[S,4]", "f32[P,4]"), {"shapes [S,4] and [P,4] do not broadcast"}));
  EXPECT_TRUE(HasError(bc("f32[2]", "f32[3]"), {"do not broadcast"}));
}

TEST(NormalizeAxisTest, NegativeAndOutOfRange) {
  EXPECT_EQ(*rules::NormalizeAxis(-1, 3), 2);
  EXPECT_EQ(*rules::NormalizeAxis(0, 1), 0);
  EXPECT_TRUE(HasError(rules::NormalizeAxis(3, 3).status(), {"attribute 'axis' = 3 is out of range for rank 3"}));
  EXPECT_TRUE(HasError(rules::NormalizeAxis(-4, 3, "axes").status(), {"'axes' = -4"}));
}

}  // namespace
}  // namespace dsc::ir
