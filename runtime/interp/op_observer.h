// An optional observer of the interpreter's op loop (profilers, tracers): told before and after
// each op, including the ops of functions it calls (MoE expert bodies). Zero cost when unset:
// the interpreter only tests a null pointer.
#ifndef DSC_RUNTIME_INTERP_OP_OBSERVER_H_
#define DSC_RUNTIME_INTERP_OP_OBSERVER_H_

#include <vector>

#include "ir/module.h"
#include "runtime/interp/tensor.h"

namespace dsc::runtime {

class OpObserver {
 public:
  virtual ~OpObserver() = default;
  // `operands` are bound (constants decoded or viewed, state buffers, values) and `symbols`
  // are the call's bindings (e.g. {P: 7}); the op has not run yet. Calls nest: an op that
  // calls a function (moe_experts) sees its body's ops inside.
  virtual void BeforeOp(const ir::Function& f, const ir::Operation& op,
                        const std::vector<const Tensor*>& operands,
                        const ir::SymbolBindings& symbols) = 0;
  virtual void AfterOp(const ir::Function& f, const ir::Operation& op) = 0;
};

// Scope guard used by the interpreter so that every exit of an op's iteration (continue,
// return, error) reports AfterOp exactly once.
class ObservedOp {
 public:
  ObservedOp(OpObserver* o, const ir::Function& f, const ir::Operation& op,
             const std::vector<const Tensor*>& operands, const ir::SymbolBindings& symbols)
      : o_(o), f_(f), op_(op) {
    if (o_ != nullptr) o_->BeforeOp(f_, op_, operands, symbols);
  }
  ~ObservedOp() {
    if (o_ != nullptr) o_->AfterOp(f_, op_);
  }
  ObservedOp(const ObservedOp&) = delete;
  ObservedOp& operator=(const ObservedOp&) = delete;

 private:
  OpObserver* o_;
  const ir::Function& f_;
  const ir::Operation& op_;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_OP_OBSERVER_H_
