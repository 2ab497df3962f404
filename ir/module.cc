// Construction and mutation of functions and modules.
#include "ir/module.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/check.h"

namespace dsc::ir {

Value* Function::AddArgument(Type type, std::string name) {
  args_.push_back(std::unique_ptr<Value>(new Value(Value::Kind::kArgument, std::move(type), std::move(name))));
  args_.back()->index_ = static_cast<int>(args_.size()) - 1;
  return args_.back().get();
}

Operation* Function::AppendOp(OpCode code, std::vector<Value*> operands, AttrMap attrs,
                              std::vector<Type> result_types, std::vector<std::string> result_names) {
  return InsertOp(ops_.size(), code, std::move(operands), std::move(attrs), std::move(result_types),
                  std::move(result_names));
}

Operation* Function::InsertOp(size_t pos, OpCode code, std::vector<Value*> operands, AttrMap attrs,
                              std::vector<Type> result_types, std::vector<std::string> result_names) {
  DSC_CHECK(pos <= ops_.size(), "insert position out of range");
  auto op = std::unique_ptr<Operation>(new Operation(code, std::move(operands), std::move(attrs)));
  op->parent_ = this;
  for (size_t i = 0; i < result_types.size(); ++i) {
    std::string name = i < result_names.size() ? result_names[i] : "";
    auto v = std::unique_ptr<Value>(new Value(Value::Kind::kOpResult, std::move(result_types[i]), std::move(name)));
    v->def_ = op.get();
    v->index_ = static_cast<int>(i);
    op->results_.push_back(std::move(v));
  }
  Operation* raw = op.get();
  ops_.insert(ops_.begin() + static_cast<std::ptrdiff_t>(pos), std::move(op));
  return raw;
}

size_t Function::IndexOf(const Operation* op) const {
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].get() == op) return i;
  }
  return ops_.size();
}

void Function::ReplaceAllUsesWith(Value* from, Value* to) {
  for (auto& op : ops_) {
    for (int i = 0; i < op->num_operands(); ++i) {
      if (op->operand(i) == from) op->set_operand(i, to);
    }
  }
}

int Function::CountUses(const Value* v) const {
  int n = 0;
  for (const auto& op : ops_) n += static_cast<int>(std::count(op->operands().begin(), op->operands().end(), v));
  return n;
}

Operation* Function::terminator() const {
  if (ops_.empty() || ops_.back()->code() != OpCode::kReturn) return nullptr;
  return ops_.back().get();
}

std::vector<Type> Function::ResultTypes() const {
  std::vector<Type> types;
  if (Operation* ret = terminator()) {
    for (Value* v : ret->operands()) types.push_back(v->type());
  }
  return types;
}

Value* Module::AddConstant(std::string name, Type type, std::vector<TensorRef> parts) {
  DSC_CHECK(FindGlobal(name) == nullptr, absl::StrCat("duplicate global @", name));
  auto v = std::unique_ptr<Value>(new Value(Value::Kind::kConstant, std::move(type), std::move(name)));
  v->parts_ = std::move(parts);
  constants_.push_back(std::move(v));
  return constants_.back().get();
}

Value* Module::AddState(std::string name, Type type) {
  DSC_CHECK(FindGlobal(name) == nullptr, absl::StrCat("duplicate global @", name));
  states_.push_back(std::unique_ptr<Value>(new Value(Value::Kind::kState, std::move(type), std::move(name))));
  return states_.back().get();
}

Function* Module::AddFunction(std::string name, std::vector<std::string> symbols) {
  DSC_CHECK(FindFunction(name) == nullptr, absl::StrCat("duplicate function @", name));
  functions_.push_back(std::make_unique<Function>(std::move(name), std::move(symbols)));
  return functions_.back().get();
}

Value* Module::FindGlobal(std::string_view name) const {
  for (const auto* list : {&constants_, &states_}) {
    for (const auto& v : *list) {
      if (v->name() == name) return v.get();
    }
  }
  return nullptr;
}

Function* Module::FindFunction(std::string_view name) const {
  for (const auto& f : functions_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

bool Module::EraseFunction(std::string_view name) {
  return std::erase_if(functions_, [&](const std::unique_ptr<Function>& f) { return f->name() == name; }) > 0;
}

void Module::EraseUnusedConstants() {
  std::erase_if(constants_, [&](const std::unique_ptr<Value>& c) {
    for (const auto& f : functions_) {
      if (f->CountUses(c.get()) > 0) return false;
    }
    return true;
  });
}

}  // namespace dsc::ir
