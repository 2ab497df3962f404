// Parser error messages: every case gives InvalidArgument "FILE:LINE:COL: message", pointing at
// the token at fault (or just past the end of an incomplete line).
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace dsc::ir {
namespace {

struct ErrorCase {
  const char* name;
  const char* text;
  const char* message;  // the whole status message
};

class ParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrorTest, ReportsLineColumnAndRule) {
  absl::StatusOr<std::unique_ptr<Module>> m = ParseModule(GetParam().text, "t.ir");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message(), GetParam().message);
}

const ErrorCase kCases[] = {
    {"unknown_op", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = matmull %x, %w : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:10: unknown op 'matmull'"},
    {"missing_colon", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = silu %x f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:18: expected ':' and the result types of 'silu', got 'f32'"},
    {"missing_colon_eol", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = silu %x
    return %y
  }
}
)IR",
     "t.ir:3:17: expected ':' and the result types of 'silu', got 'return'"},
    {"undefined_value", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = silu %z : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:15: use of undefined value %z"},
    {"result_type", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = matmul %x, %w : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:26: result type f32[S,4] does not match inferred f32[S,8]"},
    {"unknown_attr", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = softmax %x {axes = 1} : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:22: unknown attribute 'axes' for 'softmax' (it has axis)"},
    {"attr_kind", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = rms_norm %x, %x {eps = true} : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:33: expected a number (attribute 'eps' of 'rms_norm' is a float), got 'true'"},
    {"elem_type", R"IR(module @m {
  func @f[S](%x: f33[S,4]) -> () {
    return
  }
}
)IR",
     "t.ir:2:18: unknown element type 'f33'"},
    {"undeclared_symbol", R"IR(module @m {
  func @f[S](%x: f32[T,4]) -> () {
    return
  }
}
)IR",
     "t.ir:2:22: symbol 'T' is not declared by function @f [S]"},
    {"redefinition", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %x = silu %x : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:5: redefinition of value %x"},
    {"unterminated", R"IR(module @m {
  meta "abc
}
)IR",
     "t.ir:2:8: unterminated string"},
    {"missing_return", R"IR(module @m {
  func @f[S](%x: f32[S,4]) -> () {
    %y = silu %x : f32[S,4]
  }
}
)IR",
     "t.ir:4:3: function @f must end with 'return'"},
    {"registry", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,3]) -> () {
    %y = matmul %x, %w : f32[S,8]
    return
  }
}
)IR",
     "t.ir:3:10: 'matmul': last dim of 'x' and dim 1 (in) of 'w' must match, got 4 and 3"},
    {"state_access", R"IR(module @m {
  state @kv : f32[8,4]
  func @f() -> (f32[8,4]) {
    %y = add @kv, @kv : f32[8,4]
    return %y
  }
}
)IR",
     "t.ir:4:10: function @f, op #0 'add' (%y): state @kv may only be accessed by cache_read/cache_write"},
    {"const_parts", R"IR(module @m {
  const @w : nvfp4[8,16] {
    "w" in "m.safetensors" at 0
  }
}
)IR",
     "t.ir:2:9: constant @w: expected 3 checkpoint tensor references for nvfp4[8,16], got 1"},
    {"eof", R"IR(module @m {
  state @kv : f32[8,4]
)IR",
     "t.ir:3:1: expected 'meta', 'const', 'state', 'func' or '}', got end of file"},
    {"global_redef", R"IR(module @m {
  state @kv : f32[8,4]
  state @kv : f32[8,4]
}
)IR",
     "t.ir:3:9: redefinition of global @kv"},
    {"result_decl", R"IR(module @m {
  func @f[S](%x: f32[S,4]) -> (f32[S,8]) {
    return %x
  }
}
)IR",
     "t.ir:2:28: function @f declares results (f32[S,8]) but its 'return' gives (f32[S,4])"},
    {"after_return", R"IR(module @m {
  func @f[S](%x: f32[S,4]) -> (f32[S,4]) {
    return %x
    %y = silu %x : f32[S,4]
  }
}
)IR",
     "t.ir:4:5: 'return' must be the last op of function @f"},
    {"attr_twice", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = softmax %x {axis = 1, axis = 1} : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:32: attribute 'axis' given twice"},
    {"int_range", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = softmax %x {axis = 99999999999999999999} : f32[S,4]
    return %y
  }
}
)IR",
     "t.ir:3:29: integer 99999999999999999999 is out of range"},
    {"bad_char", R"IR(module @m {
  func @f[S](%x: f32[S,4], %w: f32[8,4]) -> (f32[S,4]) {
    %y = silu %x : f32[S,4] #
    return %y
  }
}
)IR",
     "t.ir:3:29: unexpected character '#'"},
    {"module_symbol", R"IR(module @m {
  const @w : f32[S] = "w" in "m.safetensors" at 0
}
)IR",
     "t.ir:2:18: symbolic dim 'S' outside a function (module-level types are static)"},
    {"result_count", R"IR(module @m {
  func @f[S](%x: f32[S,4]) -> () {
    %a = split %x {axis = 1, sizes = [2, 2]} : f32[S,2]
    return
  }
}
)IR",
     "t.ir:3:10: 'split' produces 2 results, but 1 are named"},
    {"bad_escape", R"IR(module @m {
  meta "a\q" = "x"
}
)IR",
     "t.ir:2:8: invalid escape '\\q' in string"},
    {"unknown_callee", R"IR(module @m {
  func @f[S](%x: f32[S,64], %g: f32[S,2], %e: i32[S,2], %w1: f32[4,8,64], %w2: f32[4,64,8]) -> () {
    %y = moe_experts %x, %g, %e, %w1, %w2, %w1 {body = @nope} : f32[S,64]
    return
  }
}
)IR",
     "t.ir:3:10: function @f, op #0 'moe_experts' (%y): attribute 'body' refers to unknown function @nope"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ParserErrorTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace dsc::ir
