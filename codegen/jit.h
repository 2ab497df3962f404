// The JIT: LLVM ORC LLJIT for one target CPU, with an on-disk object cache. This is the only
// place where LLVM errors become absl::Status (conventions.md §9).
#ifndef DSC_CODEGEN_JIT_H_
#define DSC_CODEGEN_JIT_H_

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "codegen/target.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
namespace orc {
class JITTargetMachineBuilder;
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
  int objects_loaded = 0;        // prebuilt objects linked in by AddObject (no code generation)
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

  // Ahead-of-time compilation: verifies `module`, configures it for the target, optimizes and
  // compiles it to a relocatable object (or takes it from the object cache, as AddModule would)
  // and returns the object file's bytes. The module is consumed (optimized in place) and is
  // NOT added to the JIT.
  absl::StatusOr<std::string> EmitObject(llvm::Module& module);

  // Links a relocatable object for this target (e.g. one made by EmitObject) into the JIT:
  // no optimization and no code generation, only loading and relocation when one of its
  // symbols is first looked up. `name` identifies it in errors.
  absl::Status AddObject(std::string bytes, const std::string& name);

  // Address of a function defined by an added module or object.
  absl::StatusOr<void*> Lookup(const std::string& name);

  JitStats stats() const;

 private:
  Jit() = default;
  JitOptions options_;
  std::unique_ptr<DiskObjectCache> cache_;
  std::unique_ptr<JitStats> stats_;
  std::unique_ptr<llvm::orc::LLJIT> lljit_;
  // For EmitObject: a target machine like the one LLJIT's compile layer uses, made on first use.
  std::unique_ptr<llvm::orc::JITTargetMachineBuilder> jtmb_;
  std::unique_ptr<llvm::TargetMachine> emit_tm_;
  std::unique_ptr<std::mutex> emit_mu_;
};

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_JIT_H_
