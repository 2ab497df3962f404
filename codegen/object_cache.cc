// DiskObjectCache: one file <dir>/<sha256>.o per module, written atomically (temp + rename) so
// concurrent processes never read a half-written object.
#include "codegen/object_cache.h"

#include <unistd.h>

#include <utility>

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

namespace dsc::codegen {

DiskObjectCache::DiskObjectCache(std::string dir, std::string salt)
    : dir_(std::move(dir)), salt_(std::move(salt)) {}

std::string DiskObjectCache::Key(const llvm::Module& module) const {
  std::string ir;
  llvm::raw_string_ostream os(ir);
  module.print(os, nullptr);
  os.flush();
  llvm::SHA256 sha;
  sha.update(salt_);
  sha.update("\n");
  sha.update(ir);
  return llvm::toHex(sha.final(), /*LowerCase=*/true);
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::getObject(const llvm::Module* module) {
  const std::string key = Key(*module);
  llvm::SmallString<256> path(dir_);
  llvm::sys::path::append(path, key + ".o");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  std::lock_guard<std::mutex> lock(mu_);
  if (buffer) {
    ++hits_;
    return std::move(*buffer);
  }
  ++misses_;
  pending_[module] = key;
  return nullptr;
}

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* module,
                                           llvm::MemoryBufferRef object) {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(module);
    if (it == pending_.end()) return;
    key = std::move(it->second);
    pending_.erase(it);
  }
  // A cache that cannot be written is only slower: errors are ignored on purpose.
  if (llvm::sys::fs::create_directories(dir_)) return;
  llvm::SmallString<256> path(dir_), temp(dir_);
  llvm::sys::path::append(path, key + ".o");
  llvm::sys::path::append(temp, key + ".tmp" + std::to_string(::getpid()));
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(temp, ec, llvm::sys::fs::OF_None);
    if (ec) return;
    out << object.getBuffer();
    out.close();
    if (out.has_error()) {
      out.clear_error();
      llvm::sys::fs::remove(temp);
      return;
    }
  }
  if (llvm::sys::fs::rename(temp, path)) llvm::sys::fs::remove(temp);
}

}  // namespace dsc::codegen
