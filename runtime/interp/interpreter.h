// The reference interpreter (the oracle): executes any verified IR module op by op in plain
// float32, binding symbolic dims at call time. Every fast path is checked against it.
#ifndef DSC_RUNTIME_INTERP_INTERPRETER_H_
#define DSC_RUNTIME_INTERP_INTERPRETER_H_

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "ir/module.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/interp/op_observer.h"
#include "runtime/interp/tensor.h"

namespace dsc::runtime {

// Returns a pointer to the bytes of a checkpoint tensor (e.g. inside an mmapped shard). The
// runtime never opens checkpoints itself: the caller (frontend/tools) validated them.
using TensorBytesFn = std::function<absl::StatusOr<const uint8_t*>(const ir::TensorRef&)>;

// The mutable state of one sequence: every module `state` (KV caches), zero-initialized.
struct SequenceState {
  absl::flat_hash_map<const ir::Value*, Tensor> buffers;
};

class Interpreter {
 public:
  Interpreter(const ir::Module& module, TensorBytesFn bytes);

  std::unique_ptr<SequenceState> NewSequence() const;

  // Runs function `name` with the given symbol bindings (e.g. {S: 5, P: 0}) and arguments.
  absl::StatusOr<std::vector<Tensor>> Run(const std::string& name, const ir::SymbolBindings& symbols,
                                          std::vector<Tensor> args, SequenceState* state);

  // Run for a hot loop: the arguments are read in place, and the results land in *results,
  // whose tensors' storage is reused (a decode step's logits go straight into the previous
  // step's buffer). With the function's arena, a steady decode step allocates nothing.
  absl::Status RunInto(const std::string& name, const ir::SymbolBindings& symbols, const std::vector<Tensor>& args,
                       SequenceState* state, std::vector<Tensor>* results);

  // Runs function `name` once for each of several sequences in lock step (batched decode):
  // call b has bindings symbols[b], arguments args[b] and state states[b]. Ops that read a
  // constant weight and treat rows as independent tokens (quantized_matmul, matmul by a weight,
  // gate_up_swiglu, moe_decode), given one row per sequence, run once on the rows of all the
  // sequences, so each weight is read once per step for the whole batch; every other op (KV
  // caches, attention, positions) runs per sequence. Results per sequence, as Run returns them.
  absl::StatusOr<std::vector<std::vector<Tensor>>> RunBatch(const std::string& name,
                                                            const std::vector<ir::SymbolBindings>& symbols,
                                                            std::vector<std::vector<Tensor>> args,
                                                            const std::vector<SequenceState*>& states);

  const ir::Module& module() const { return module_; }
  // Compiled kernels for quantized products (not owned; nullptr = reference path only).
  void set_fast_linear(FastLinear* fast) { fast_ = fast; }
  // Told before/after every op (not owned; nullptr = no observation, no cost).
  void set_observer(OpObserver* observer) { observer_ = observer; }

 private:
  using ValueMap = absl::flat_hash_map<const ir::Value*, Tensor>;

  // How a run receives its arguments (moved in, or read in place) and hands back its results.
  struct RunIo {
    std::vector<Tensor>* owned_args = nullptr;
    const std::vector<Tensor>* viewed_args = nullptr;
    std::vector<Tensor>* results = nullptr;
    bool reuse_results = false;  // results' storage receives the returned values when it fits
  };
  absl::Status BindArguments(const ir::Function& f, const ir::SymbolBindings& symbols, const RunIo& io,
                             ValueMap* values);
  absl::Status Execute(const ir::Function& f, const ir::SymbolBindings& symbols, const RunIo& io,
                       SequenceState* state);
  // The op's operands: constants (decoded or viewed), state buffers of `state`, values.
  absl::StatusOr<std::vector<const Tensor*>> Operands(const ir::Operation& op, const ValueMap& values,
                                                      SequenceState* state);
  absl::Status OperandsInto(const ir::Operation& op, const ValueMap& values, SequenceState* state,
                            std::vector<const Tensor*>* in);
  static absl::StatusOr<std::vector<Dims>> ResultShapes(const ir::Operation& op,
                                                                        const ir::SymbolBindings& symbols);
  static absl::Status ResultShapesInto(const ir::Operation& op, const ir::SymbolBindings& symbols,
                                       std::vector<Dims>* shapes);
  // Evaluates one op (not `return`) on bound operands; cache ops act on `state`.
  // `slots`: one per result (the arena's), or nullptr.
  absl::StatusOr<TensorList> EvalOp(const ir::Function& f, const ir::Operation& op,
                                             const std::vector<const Tensor*>& in, const ir::SymbolBindings& symbols,
                                             const std::vector<Dims>& result_shapes, SequenceState* state,
                                             const ResultSlot* slots = nullptr);
  // RunBatch's shared evaluation of a weight op over one row per sequence; false (nothing
  // done) when the op does not qualify.
  absl::StatusOr<bool> EvalAcrossSequences(const ir::Function& f, const ir::Operation& op,
                                           const std::vector<ir::SymbolBindings>& symbols,
                                           std::vector<ValueMap>& values, const std::vector<SequenceState*>& states);
  absl::StatusOr<std::vector<Tensor>> RunFunction(const ir::Function& f, const ir::SymbolBindings& symbols,
                                                  std::vector<Tensor> args, SequenceState* state);
  // For each op of `f` (by position), the values whose last use it is: RunFunction frees them
  // right after it, so a run holds only live values (computed once per function).
  const std::vector<std::vector<const ir::Value*>>& DeadAfter(const ir::Function& f);
  // Decoded constant (cached): plain tensors widened to f32, quantized ones as packed views.
  absl::StatusOr<const Tensor*> Constant(const ir::Value* c);
  void FindInPlaceConstants();
  absl::StatusOr<Tensor> RunMoeExperts(const ir::Operation& op, const std::vector<const Tensor*>& in,
                                       SequenceState* state);
  static Tensor ExpertSlice(const Tensor& w, int64_t e);

  // The executor's arena for one function: ir::PlanFunctionMemory at the widths the
  // interpreter stores (float32, int64) and the context bound gives every op result a region,
  // so a run allocates no tensor storage. Functions whose arena would exceed kMaxArenaBytes
  // (prefill planned at a full context squared) get none and allocate as they go.
  struct FunctionArena {
    absl::flat_hash_map<const ir::Value*, ResultSlot> slots;
    std::unique_ptr<uint8_t, void (*)(uint8_t*)> memory{nullptr, nullptr};  // nullptr: no arena
    // Reused by every run: the current op's operands, and each op's result shapes.
    std::vector<const Tensor*> operands;
    std::vector<std::vector<Dims>> shapes;
    absl::flat_hash_map<const ir::Value*, Tensor> values;
    absl::flat_hash_map<const ir::Value*, const ir::Value*> lent;  // states lent to values
    bool busy = false;  // a nested run of the same function uses none of this
  };
  static constexpr int64_t kMaxArenaBytes = int64_t{256} << 20;
  // nullptr when `f` gets no arena.
  FunctionArena* ArenaFor(const ir::Function& f);

  const ir::Module& module_;
  TensorBytesFn bytes_;
  absl::node_hash_map<const ir::Function*, std::unique_ptr<FunctionArena>> arenas_;
  // Per op code, the index of the eval family that handles it (-1: not yet known).
  std::array<int8_t, ir::kNumOpCodes> family_of_ = MakeUnknownFamilies();
  static std::array<int8_t, ir::kNumOpCodes> MakeUnknownFamilies() {
    std::array<int8_t, ir::kNumOpCodes> a;
    a.fill(-1);
    return a;
  }
  FastLinear* fast_ = nullptr;
  OpObserver* observer_ = nullptr;
  // node_hash_map: Constant() hands out pointers that must survive later insertions (an op's
  // second weight is decoded while the first one's pointer is held; a flat map rehash freed it).
  absl::node_hash_map<const ir::Value*, Tensor> constants_;
  // With fast_: BF16 constants every use of which reads them in place (matmul weights,
  // embedding tables), found on the first Constant call; these are never widened to f32.
  bool in_place_known_ = false;
  absl::flat_hash_set<const ir::Value*> in_place_;
  // node_hash_map: RunFunction holds its function's entry while a nested run (moe_experts'
  // body) adds another.
  absl::node_hash_map<const ir::Function*, std::vector<std::vector<const ir::Value*>>> dead_after_;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_INTERPRETER_H_
