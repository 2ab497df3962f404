// The IR's core objects: values (SSA), operations, functions, and the module that holds
// several functions (prefill, decode), the weights (constants referencing checkpoint
// tensors by name, file and offset; never copied into the IR) and the mutable state (KV caches).
#ifndef DSC_IR_MODULE_H_
#define DSC_IR_MODULE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/op_registry.h"
#include "ir/type.h"

namespace dsc::ir {

class Operation;
class Function;

// Where a checkpoint tensor's bytes are: never the bytes themselves.
struct TensorRef {
  std::string tensor;  // checkpoint tensor name, e.g. "model.layers.0.self_attn.q_a_proj.weight"
  std::string file;    // shard file name relative to the checkpoint directory
  uint64_t offset = 0; // absolute byte offset of the data in that file
  bool operator==(const TensorRef& o) const {
    return tensor == o.tensor && file == o.file && offset == o.offset;
  }
};

class Value {
 public:
  enum class Kind { kOpResult, kArgument, kConstant, kState };

  Kind kind() const { return kind_; }
  const Type& type() const { return type_; }
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  // For op results: the defining op and result index; nullptr / -1 otherwise.
  Operation* defining_op() const { return def_; }
  int index() const { return index_; }
  bool is_global() const { return kind_ == Kind::kConstant || kind_ == Kind::kState; }

  // Constants only: the checkpoint tensors holding the value. A tensor constant has one part;
  // a quantized constant [E..., N, K] has QuantParts(format) for each stacked matrix in order.
  const std::vector<TensorRef>& parts() const { return parts_; }

 private:
  friend class Operation;
  friend class Function;
  friend class Module;
  Value(Kind kind, Type type, std::string name) : kind_(kind), type_(std::move(type)), name_(std::move(name)) {}

  Kind kind_;
  Type type_;
  std::string name_;
  Operation* def_ = nullptr;
  int index_ = -1;
  std::vector<TensorRef> parts_;
};

class Operation {
 public:
  OpCode code() const { return code_; }
  const OpInfo& info() const { return GetOpInfo(code_); }
  std::string_view name() const { return info().name; }

  const std::vector<Value*>& operands() const { return operands_; }
  Value* operand(int i) const { return operands_[i]; }
  int num_operands() const { return static_cast<int>(operands_.size()); }
  void set_operand(int i, Value* v) { operands_[i] = v; }

  int num_results() const { return static_cast<int>(results_.size()); }
  Value* result(int i = 0) const { return results_[i].get(); }

  const AttrMap& attrs() const { return attrs_; }
  AttrMap& mutable_attrs() { return attrs_; }

  Function* parent() const { return parent_; }

 private:
  friend class Function;
  Operation(OpCode code, std::vector<Value*> operands, AttrMap attrs)
      : code_(code), operands_(std::move(operands)), attrs_(std::move(attrs)) {}

  OpCode code_;
  std::vector<Value*> operands_;
  std::vector<std::unique_ptr<Value>> results_;
  AttrMap attrs_;
  Function* parent_ = nullptr;
};

// A function: symbols (dims bound at call time), typed arguments, and a straight-line body
// ending in a `return` op whose operands are the results.
class Function {
 public:
  Function(std::string name, std::vector<std::string> symbols)
      : name_(std::move(name)), symbols_(std::move(symbols)) {}
  Function(const Function&) = delete;
  Function& operator=(const Function&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& symbols() const { return symbols_; }

  Value* AddArgument(Type type, std::string name);
  const std::vector<std::unique_ptr<Value>>& arguments() const { return args_; }
  Value* argument(int i) const { return args_[i].get(); }

  // Appends (or inserts before position `pos`) an op whose result types are already known.
  // Prefer Builder, which infers and checks them.
  Operation* AppendOp(OpCode code, std::vector<Value*> operands, AttrMap attrs,
                      std::vector<Type> result_types, std::vector<std::string> result_names = {});
  Operation* InsertOp(size_t pos, OpCode code, std::vector<Value*> operands, AttrMap attrs,
                      std::vector<Type> result_types, std::vector<std::string> result_names = {});

  const std::vector<std::unique_ptr<Operation>>& ops() const { return ops_; }
  size_t num_ops() const { return ops_.size(); }
  // Position of op in the body; ops_.size() if absent.
  size_t IndexOf(const Operation* op) const;
  // Removes ops for which `pred` is true (their results must be unused).
  template <typename Pred>
  void EraseOpsIf(Pred pred) {
    std::erase_if(ops_, [&](const std::unique_ptr<Operation>& op) { return pred(op.get()); });
  }
  // Rewires every use of `from` in this function to `to`.
  void ReplaceAllUsesWith(Value* from, Value* to);
  // Number of operand slots in this function that read `v`.
  int CountUses(const Value* v) const;

  // The `return` op, or nullptr if the body does not end with one.
  Operation* terminator() const;
  std::vector<Type> ResultTypes() const;

 private:
  std::string name_;
  std::vector<std::string> symbols_;
  std::vector<std::unique_ptr<Value>> args_;
  std::vector<std::unique_ptr<Operation>> ops_;
};

class Module {
 public:
  explicit Module(std::string name = "module") : name_(std::move(name)) {}
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

  // Free-form string metadata (architecture, config values, checkpoint fingerprint).
  std::map<std::string, std::string>& metadata() { return metadata_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // A weight: `type` is a plain tensor type or a quantized type; `parts` reference checkpoint
  // tensors (see Value::parts()). Names are unique across constants and states.
  Value* AddConstant(std::string name, Type type, std::vector<TensorRef> parts);
  // Mutable state that persists across calls (KV caches); `type` gives its full capacity.
  Value* AddState(std::string name, Type type);
  Function* AddFunction(std::string name, std::vector<std::string> symbols);

  const std::vector<std::unique_ptr<Value>>& constants() const { return constants_; }
  const std::vector<std::unique_ptr<Value>>& states() const { return states_; }
  const std::vector<std::unique_ptr<Function>>& functions() const { return functions_; }

  Value* FindGlobal(std::string_view name) const;  // constant or state
  Function* FindFunction(std::string_view name) const;
  // Drops constants that no function uses (after passes rewrote the graph).
  void EraseUnusedConstants();
  // Removes function `name` (e.g. an expert body no op calls any more); false if absent.
  bool EraseFunction(std::string_view name);

 private:
  std::string name_;
  std::map<std::string, std::string> metadata_;
  std::vector<std::unique_ptr<Value>> constants_;
  std::vector<std::unique_ptr<Value>> states_;
  std::vector<std::unique_ptr<Function>> functions_;
};

}  // namespace dsc::ir

#endif  // DSC_IR_MODULE_H_
