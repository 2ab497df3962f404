// Creates passes by name (the table is passes.def).
#ifndef DSC_PASSES_PASS_REGISTRY_H_
#define DSC_PASSES_PASS_REGISTRY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "passes/pass.h"

namespace dsc::passes {

struct PassInfo {
  std::string_view name;
  std::string_view description;
};

// Every registered pass, in passes.def order.
const std::vector<PassInfo>& RegisteredPasses();

// NotFound (listing the known names) for an unknown name.
absl::StatusOr<std::unique_ptr<Pass>> CreatePass(std::string_view name);

}  // namespace dsc::passes

#endif  // DSC_PASSES_PASS_REGISTRY_H_
