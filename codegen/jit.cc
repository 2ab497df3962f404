// LLJIT with a custom IR compiler: cache lookup, else O3 + object emission for the target CPU.
#include "codegen/jit.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codegen/object_cache.h"
#include "llvm/ExecutionEngine/Orc/CompileUtils.h"
#include "llvm/ExecutionEngine/Orc/IRCompileLayer.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "runtime/kernel_abi.h"

#ifndef DSC_VERSION
#define DSC_VERSION "dev"
#endif

namespace dsc::codegen {
namespace {

absl::Status ToStatus(llvm::Error error) {
  if (!error) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("LLVM: ", llvm::toString(std::move(error))));
}

void Optimize(llvm::Module& module, llvm::TargetMachine& tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, mam);
}

// IR → object: served from the cache when possible, so a warm start skips both the optimizer
// and the code generator (the cache key is taken from the IR before optimization). Shared by
// the JIT's compile layer and by ahead-of-time compilation (Jit::EmitObject).
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> CompileModule(llvm::Module& m, llvm::TargetMachine& tm,
                                                                  DiskObjectCache* cache, JitStats* stats) {
  if (cache != nullptr) {
    if (std::unique_ptr<llvm::MemoryBuffer> object = cache->getObject(&m)) return object;
  }
  const auto start = std::chrono::steady_clock::now();
  Optimize(m, tm);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  llvm::MCContext* mc = nullptr;
  if (tm.addPassesToEmitMC(pm, mc, os)) {
    return llvm::make_error<llvm::StringError>("target cannot emit object code", llvm::inconvertibleErrorCode());
  }
  pm.run(m);
  auto object = std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(buffer),
                                                                m.getModuleIdentifier() + "-object", false);
  if (cache != nullptr) cache->notifyObjectCompiled(&m, object->getMemBufferRef());
  ++stats->modules_codegened;
  stats->codegen_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return object;
}

class CachingCompiler : public llvm::orc::IRCompileLayer::IRCompiler {
 public:
  CachingCompiler(std::unique_ptr<llvm::TargetMachine> tm, DiskObjectCache* cache, JitStats* stats)
      : IRCompiler(llvm::orc::irManglingOptionsFromTargetOptions(tm->Options)),
        tm_(std::move(tm)),
        cache_(cache),
        stats_(stats) {}

  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> operator()(llvm::Module& m) override {
    return CompileModule(m, *tm_, cache_, stats_);
  }

 private:
  std::unique_ptr<llvm::TargetMachine> tm_;
  DiskObjectCache* cache_;
  JitStats* stats_;
};

absl::Status VerifyModule(const llvm::Module& module) {
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(module, &os)) {
    return absl::InternalError(
        absl::StrCat("invalid LLVM IR in module '", module.getModuleIdentifier(), "': ", os.str()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Jit>> Jit::Create(JitOptions options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::unique_ptr<Jit> jit(new Jit());
  jit->options_ = std::move(options);
  jit->stats_ = std::make_unique<JitStats>();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return ToStatus(jtmb.takeError());
  jtmb->setCPU(jit->options_.target.cpu);
  jtmb->getFeatures() = llvm::SubtargetFeatures(jit->options_.target.FeatureString());
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  jit->jtmb_ = std::make_unique<llvm::orc::JITTargetMachineBuilder>(*jtmb);
  jit->emit_mu_ = std::make_unique<std::mutex>();
  if (!jit->options_.cache_dir.empty()) {
    jit->cache_ = std::make_unique<DiskObjectCache>(
        jit->options_.cache_dir,
        absl::StrCat("dsc ", DSC_VERSION, " abi ", DSC_KERNEL_ABI_VERSION, " llvm ", LlvmVersion(),
                     " O3 ", jit->options_.target.ToString()));
  }
  DiskObjectCache* cache = jit->cache_.get();
  JitStats* stats = jit->stats_.get();
  auto lljit =
      llvm::orc::LLJITBuilder()
          .setJITTargetMachineBuilder(*jtmb)
          .setCompileFunctionCreator(
              [cache, stats](llvm::orc::JITTargetMachineBuilder builder)
                  -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                auto tm = builder.createTargetMachine();
                if (!tm) return tm.takeError();
                return std::make_unique<CachingCompiler>(std::move(*tm), cache, stats);
              })
          .create();
  if (!lljit) return ToStatus(lljit.takeError());
  jit->lljit_ = std::move(*lljit);
  return jit;
}

Jit::~Jit() = default;

void Jit::ConfigureModule(llvm::Module& module) const {
  module.setDataLayout(lljit_->getDataLayout());
  module.setTargetTriple(lljit_->getTargetTriple().str());
}

absl::Status Jit::AddModule(std::unique_ptr<llvm::Module> module,
                            std::unique_ptr<llvm::LLVMContext> context) {
  if (absl::Status s = VerifyModule(*module); !s.ok()) return s;
  ConfigureModule(*module);
  return ToStatus(
      lljit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context))));
}

absl::StatusOr<std::string> Jit::EmitObject(llvm::Module& module) {
  if (absl::Status s = VerifyModule(module); !s.ok()) return s;
  ConfigureModule(module);
  std::lock_guard<std::mutex> lock(*emit_mu_);
  if (emit_tm_ == nullptr) {
    auto tm = jtmb_->createTargetMachine();
    if (!tm) return ToStatus(tm.takeError());
    emit_tm_ = std::move(*tm);
  }
  auto object = CompileModule(module, *emit_tm_, cache_.get(), stats_.get());
  if (!object) return ToStatus(object.takeError());
  return (*object)->getBuffer().str();
}

absl::Status Jit::AddObject(std::string bytes, const std::string& name) {
  std::unique_ptr<llvm::MemoryBuffer> buffer = llvm::MemoryBuffer::getMemBufferCopy(bytes, name);
  if (llvm::Error error = lljit_->addObjectFile(std::move(buffer))) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": cannot load the object: ", llvm::toString(std::move(error))));
  }
  ++stats_->objects_loaded;
  return absl::OkStatus();
}

absl::StatusOr<void*> Jit::Lookup(const std::string& name) {
  auto address = lljit_->lookup(name);
  if (!address) return ToStatus(address.takeError());
  return address->toPtr<void*>();
}

JitStats Jit::stats() const {
  JitStats s = *stats_;
  if (cache_ != nullptr) {
    s.cache_hits = cache_->hits();
    s.cache_misses = cache_->misses();
  }
  return s;
}

}  // namespace dsc::codegen
