// The pass interface (XLA-style): a pass rewrites a module in place and reports whether it
// changed anything. Passes are created by name from the registry (passes.def) and run by the
// PassManager, which verifies the module after each one and collects timing and counters.
#ifndef DSC_PASSES_PASS_H_
#define DSC_PASSES_PASS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/module.h"

namespace dsc::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  // The registry name, e.g. "fuse-quantized-matmul".
  virtual std::string_view name() const = 0;
  // Rewrites `module`; true if anything changed. An error means the pass could not finish (the
  // module may be partly rewritten); "nothing to do" is never an error.
  virtual absl::StatusOr<bool> Run(ir::Module& module) = 0;

  // Restricts the pass to one entry function (and the functions its ops call, such as expert
  // bodies); empty = every function. Set by `@decode(...)` groups in a pipeline string.
  void set_anchor(std::string function) { anchor_ = std::move(function); }
  const std::string& anchor() const { return anchor_; }

  // Counters of the last run in first-counted order, e.g. {"matmuls fused", 183}, and free-form
  // notes (e.g. the memory plan's arena size). Cleared by the pass manager before each run.
  const std::vector<std::pair<std::string, int64_t>>& counters() const { return counters_; }
  const std::vector<std::string>& notes() const { return notes_; }
  void ResetStatistics() {
    counters_.clear();
    notes_.clear();
  }

 protected:
  void Count(std::string_view what, int64_t n = 1);
  void Note(std::string note) { notes_.push_back(std::move(note)); }
  // The functions this run covers: the anchor (all functions if none) plus, transitively, the
  // functions named by their ops' symbol attributes. Module order.
  std::vector<ir::Function*> Functions(const ir::Module& module) const;

 private:
  std::string anchor_;
  std::vector<std::pair<std::string, int64_t>> counters_;
  std::vector<std::string> notes_;
};

}  // namespace dsc::passes

#endif  // DSC_PASSES_PASS_H_
