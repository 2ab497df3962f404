// Python json.dumps(ensure_ascii=False) reproduction: separators, key order, escapes, floats.
#include "frontend/tokenizer/python_json.h"

#include <limits>

#include "gtest/gtest.h"

namespace dsc::chat_internal {
namespace {

std::string Dumps(std::string_view json) { return PythonJsonDumps(ParseOrderedJson(json, "t").value()); }

TEST(PythonJsonTest, SeparatorsAndKeyOrder) {
  EXPECT_EQ(Dumps(R"({"b":1,"a":[true,false,null],"c":{}})"),
            R"({"b": 1, "a": [true, false, null], "c": {}})");
  EXPECT_EQ(Dumps("[]"), "[]");
}

TEST(PythonJsonTest, StringEscapes) {
  EXPECT_EQ(PythonJsonString("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(PythonJsonString("\n\t\r\b\f\x01\x1f\x7f"), R"("\n\t\r\b\f\u0001\u001f)" "\x7f\"");
  EXPECT_EQ(PythonJsonString("巴黎 😀"), "\"巴黎 😀\"");  // ensure_ascii=False
}

TEST(PythonJsonTest, FloatsAsPythonRepr) {
  EXPECT_EQ(PythonFloatRepr(2.0), "2.0");
  EXPECT_EQ(PythonFloatRepr(0.5), "0.5");
  EXPECT_EQ(PythonFloatRepr(1e-05), "1e-05");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PythonFloatRepr(123.456), "123.456");
  EXPECT_EQ(PythonFloatRepr(-0.0), "-0.0");
  EXPECT_EQ(PythonFloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(PythonFloatRepr(1.5e300), "1.5e+300");
  EXPECT_EQ(PythonFloatRepr(123456789012345680.0), "1.2345678901234568e+17");
  EXPECT_EQ(PythonFloatRepr(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(Dumps("[1, 1.0, -2.50, 1e5, 10000000000000000000]"),
            "[1, 1.0, -2.5, 100000.0, 10000000000000000000]");
}

TEST(PythonJsonTest, Truthiness) {
  for (const char* falsy : {"null", "false", "0", "0.0", "\"\"", "[]", "{}"}) {
    EXPECT_FALSE(IsTruthy(ParseOrderedJson(falsy, "t").value())) << falsy;
  }
  for (const char* truthy : {"true", "1", "-0.5", "\"x\"", "[0]", "{\"a\": null}"}) {
    EXPECT_TRUE(IsTruthy(ParseOrderedJson(truthy, "t").value())) << truthy;
  }
}

}  // namespace
}  // namespace dsc::chat_internal
