// Runs a sequence of passes over a module: the verifier after every pass (on by default),
// optional IR printing after all or named passes, and per-pass timing and counters.
//
// Pipeline strings list pass names separated by commas; `@fn(a,b)` runs a and b on function
// @fn only (plus the functions it calls), e.g.
//   "canonicalize,@decode(absorb-mla,specialize-moe),dce"
#ifndef DSC_PASSES_PASS_MANAGER_H_
#define DSC_PASSES_PASS_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/module.h"
#include "passes/pass.h"

namespace dsc::passes {

struct PassManagerOptions {
  // Verify the whole module after every pass; a pass that leaves invalid IR fails the run
  // with Internal naming the pass. Turn off only to debug a broken pass.
  bool verify_each = true;
  // Call `print` after every pass, or after the passes named here.
  bool print_after_all = false;
  std::vector<std::string> print_after;
  // Receives the module after a pass that is to be printed. Default: the whole module in the
  // text form on stderr under an "IR after <pass>" header.
  std::function<void(const Pass& pass, const ir::Module& module)> print;
};

// What one pass run did.
struct PassRecord {
  std::string pass;    // registry name
  std::string anchor;  // function scope ("" = all functions)
  bool changed = false;
  double seconds = 0;
  std::vector<std::pair<std::string, int64_t>> counters;
  std::vector<std::string> notes;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {});

  void AddPass(std::unique_ptr<Pass> pass);
  // Appends the passes of a pipeline string (see above). InvalidArgument / NotFound name the
  // offending item.
  absl::Status AddPipeline(std::string_view pipeline);

  // Runs every pass in order; true if any changed the module. Records are reset first.
  absl::StatusOr<bool> Run(ir::Module& module);

  // The pipeline as a string that AddPipeline accepts.
  std::string PipelineString() const;
  const std::vector<PassRecord>& records() const { return records_; }
  // One line per pass run: "@decode fuse-quantized-matmul: 70 matmuls fused (0.4 ms)".
  std::string StatisticsReport() const;

 private:
  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassRecord> records_;
};

}  // namespace dsc::passes

#endif  // DSC_PASSES_PASS_MANAGER_H_
