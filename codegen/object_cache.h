// On-disk cache of compiled objects for the JIT (llvm::ObjectCache), keyed by a hash of the
// module's IR text, the target and the dsc/LLVM/ABI versions, so a second start with the same
// kernels does no optimization and no code generation.
#ifndef DSC_CODEGEN_OBJECT_CACHE_H_
#define DSC_CODEGEN_OBJECT_CACHE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "llvm/ExecutionEngine/ObjectCache.h"

namespace dsc::codegen {

class DiskObjectCache : public llvm::ObjectCache {
 public:
  // `dir` is created on first store. `salt` names everything besides the IR that changes the
  // object code (target CPU and features, versions, optimization level).
  DiskObjectCache(std::string dir, std::string salt);

  // Hex SHA-256 of salt + the module's textual IR.
  std::string Key(const llvm::Module& module) const;

  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* module) override;
  void notifyObjectCompiled(const llvm::Module* module, llvm::MemoryBufferRef object) override;

  int hits() const { return hits_; }
  int misses() const { return misses_; }

 private:
  std::string dir_;
  std::string salt_;
  std::mutex mu_;
  // getObject computes the key from the unoptimized module; the compiler then optimizes the
  // same Module in place, so the key is remembered for notifyObjectCompiled.
  std::map<const llvm::Module*, std::string> pending_;
  int hits_ = 0;
  int misses_ = 0;
};

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_OBJECT_CACHE_H_
