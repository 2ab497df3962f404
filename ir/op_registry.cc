// Assembles the op table from the family files and checks schema conformance of ops.
#include "ir/op_registry.h"

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/check.h"

namespace dsc::ir {
namespace {

constexpr std::array<std::string_view, kNumOpCodes> kOpNames = {
#define DSC_OP(code, name) name,
#include "ir/ops.def"
#undef DSC_OP
};

struct Registry {
  std::vector<OpInfo> infos;  // indexed by OpCode
  absl::flat_hash_map<std::string_view, OpCode> by_name;

  Registry() {
    infos.resize(kNumOpCodes);
    std::vector<bool> seen(kNumOpCodes, false);
    for (auto family : {LinearOps, ElementwiseOps, NormOps, ShapeOps, ModelOps, FusedOps, ControlOps}) {
      for (OpInfo& info : family()) {
        int i = static_cast<int>(info.code);
        DSC_CHECK(!seen[i], absl::StrCat("op defined twice: ", std::string(kOpNames[i])));
        seen[i] = true;
        info.name = kOpNames[i];
        infos[i] = std::move(info);
      }
    }
    for (int i = 0; i < kNumOpCodes; ++i) {
      DSC_CHECK(seen[i], absl::StrCat("op in ops.def without a definition: ", std::string(kOpNames[i])));
      by_name[kOpNames[i]] = static_cast<OpCode>(i);
    }
  }
};

const Registry& GetRegistry() {
  static const Registry* registry = new Registry();
  return *registry;
}

}  // namespace

const OpInfo& GetOpInfo(OpCode code) { return GetRegistry().infos[static_cast<int>(code)]; }

std::optional<OpCode> OpCodeFromName(std::string_view name) {
  const auto& m = GetRegistry().by_name;
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<Type>> InferResultTypes(OpCode code, absl::Span<const Type> operands,
                                                   AttrMap& attrs) {
  const OpInfo& info = GetOpInfo(code);
  auto fail = [&](const std::string& msg) {
    return absl::InvalidArgumentError(absl::StrCat("'", std::string(info.name), "': ", msg));
  };
  int n = static_cast<int>(operands.size());
  int max = static_cast<int>(info.operands.size());
  if (n < info.min_operands || (!info.variadic && n > max)) {
    std::string expected =
        info.variadic ? absl::StrCat("at least ", info.min_operands)
        : info.min_operands == max ? absl::StrCat(max)
                                   : absl::StrCat(info.min_operands, " to ", max);
    return fail(absl::StrCat("expected ", expected, " operands, got ", n));
  }
  for (const auto& [name, value] : attrs) {
    const AttrSpec* spec = nullptr;
    for (const auto& s : info.attrs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return fail(absl::StrCat("unknown attribute '", name, "'"));
    if (KindOf(value) != spec->kind) {
      return fail(absl::StrCat("attribute '", name, "' must be a ", std::string(AttrKindName(spec->kind)),
                               ", got a ", std::string(AttrKindName(KindOf(value)))));
    }
  }
  for (const auto& spec : info.attrs) {
    if (attrs.count(spec.name)) continue;
    if (!spec.default_value) return fail(absl::StrCat("missing required attribute '", spec.name, "'"));
    attrs[spec.name] = *spec.default_value;
  }
  absl::StatusOr<std::vector<Type>> result = info.infer(OpSignature{operands, attrs});
  if (!result.ok()) return fail(std::string(result.status().message()));
  return result;
}

}  // namespace dsc::ir
