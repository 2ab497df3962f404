// The JIT: LLVM ORC LLJIT for one target CPU, with an on-disk object cache. This is the only
// place where LLVM errors become absl::Status (conventions.md §9).
#ifndef DSC_CODEGEN_JIT_H_
#define DSC_CODEGEN_JIT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "codegen/target.h"

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
}  // namespace orc
}  // namespace llvm

namespace dsc::codegen {

class DiskObjectCache;

struct JitOptions {
  TargetCpu target = DetectHostCpu();
  // Directory of the object cache; empty = no cache (every module is optimized and compiled).
  std::string cache_dir;
};

struct JitStats {
  int cache_hits = 0;
  int cache_misses = 0;
  int modules_codegened = 0;     // modules that went through the optimizer + code generator
  double codegen_seconds = 0.0;  // time spent there
};

class Jit {
 public:
  static absl::StatusOr<std::unique_ptr<Jit>> Create(JitOptions options);
  ~Jit();

  const TargetCpu& target() const { return options_.target; }

  // Sets the triple and data layout the JIT needs; call on every module before emitting code
  // that depends on type sizes.
  void ConfigureModule(llvm::Module& module) const;

  // Verifies `module` and hands it (with its context) to the JIT. Code is generated (or
  // loaded from the cache) when one of its symbols is first looked up.
  absl::Status AddModule(std::unique_ptr<llvm::Module> module,
                         std::unique_ptr<llvm::LLVMContext> context);

  // Address of a function defined by an added module.
  absl::StatusOr<void*> Lookup(const std::string& name);

  JitStats stats() const;

 private:
  Jit() = default;
  JitOptions options_;
  std::unique_ptr<DiskObjectCache> cache_;
  std::unique_ptr<JitStats> stats_;
  std::unique_ptr<llvm::orc::LLJIT> lljit_;
};

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_JIT_H_
