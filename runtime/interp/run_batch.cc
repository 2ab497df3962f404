// Batched decode in the interpreter: one function run per sequence in lock step, with the
// weight-reading ops evaluated once on the rows of all sequences (each weight read once per
// step for the batch, which is what makes a batch cheaper than its sequences one by one).
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/interp/interpreter.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

// Ops whose cost is reading a constant weight and whose output row r depends only on input
// row r (tokens are independent): matmul only when its right operand is a weight.
bool SharesWeightsAcrossRows(const ir::Operation& op) {
  switch (op.code()) {
    case OpCode::kQuantizedMatmul:
    case OpCode::kGateUpSwiglu:
    case OpCode::kMoeDecode: return true;
    case OpCode::kMatmul: return op.operand(1)->kind() == ir::Value::Kind::kConstant;
    default: return false;
  }
}

// Tensors [1, ...] stacked to [n, ...] (same trailing shape and dtype, checked by the caller).
Tensor StackRows(const std::vector<const Tensor*>& rows) {
  Tensor t;
  t.dtype = rows[0]->dtype;
  t.shape = rows[0]->shape;
  t.shape[0] = static_cast<int64_t>(rows.size());
  for (const Tensor* r : rows) {
    t.f.insert(t.f.end(), r->f.begin(), r->f.end());
    t.i.insert(t.i.end(), r->i.begin(), r->i.end());
  }
  return t;
}

// Row b of a [n, ...] tensor as [1, ...].
Tensor Row(const Tensor& t, int64_t b) {
  Tensor r;
  r.dtype = t.dtype;
  r.shape = t.shape;
  r.shape[0] = 1;
  const int64_t width = r.numel();
  if (!t.f.empty()) r.f.assign(t.f.begin() + b * width, t.f.begin() + (b + 1) * width);
  if (!t.i.empty()) r.i.assign(t.i.begin() + b * width, t.i.begin() + (b + 1) * width);
  return r;
}

}  // namespace

absl::StatusOr<bool> Interpreter::EvalAcrossSequences(const ir::Function& f, const ir::Operation& op,
                                                      const std::vector<ir::SymbolBindings>& symbols,
                                                      std::vector<ValueMap>& values,
                                                      const std::vector<SequenceState*>& states) {
  const size_t n = values.size();
  if (n < 2 || !SharesWeightsAcrossRows(op)) return false;
  // Every non-constant operand is one row per sequence with the same shape everywhere, and so
  // is every result (shapes that depend on a sequence's position do not qualify).
  absl::StatusOr<std::vector<Dims>> shapes = ResultShapes(op, symbols[0]);
  if (!shapes.ok()) return shapes.status();
  for (const auto& shape : *shapes) {
    if (shape.empty() || shape[0] != 1) return false;
  }
  for (size_t b = 1; b < n; ++b) {
    absl::StatusOr<std::vector<Dims>> other = ResultShapes(op, symbols[b]);
    if (!other.ok()) return other.status();
    if (*other != *shapes) return false;
  }
  // Sequence 0's operands give the constants (shared); the other operands are stacked.
  absl::StatusOr<std::vector<const Tensor*>> in = Operands(op, values[0], states[0]);
  if (!in.ok()) return in.status();
  std::vector<Tensor> stacked;
  stacked.reserve(op.num_operands());
  for (int i = 0; i < op.num_operands(); ++i) {
    const ir::Value* v = op.operand(i);
    if (v->kind() == ir::Value::Kind::kConstant) continue;
    if (v->kind() == ir::Value::Kind::kState) return false;
    std::vector<const Tensor*> rows;
    for (size_t b = 0; b < n; ++b) {
      const Tensor& t = values[b].at(v);
      if (t.quantized || t.raw != nullptr || t.shape.empty() || t.shape[0] != 1) return false;
      if (b > 0 && (t.shape != rows[0]->shape || t.dtype != rows[0]->dtype)) return false;
      rows.push_back(&t);
    }
    stacked.push_back(StackRows(rows));
    (*in)[i] = &stacked.back();
  }
  for (auto& shape : *shapes) shape[0] = static_cast<int64_t>(n);
  absl::StatusOr<TensorList> results = EvalOp(f, op, *in, symbols[0], std::move(*shapes), states[0]);
  if (!results.ok()) return results.status();
  for (size_t r = 0; r < results->size(); ++r) {
    for (size_t b = 0; b < n; ++b) {
      values[b][op.result(static_cast<int>(r))] = Row((*results)[r], static_cast<int64_t>(b));
    }
  }
  return true;
}

absl::StatusOr<std::vector<std::vector<Tensor>>> Interpreter::RunBatch(const std::string& name,
                                                                      const std::vector<ir::SymbolBindings>& symbols,
                                                                      std::vector<std::vector<Tensor>> args,
                                                                      const std::vector<SequenceState*>& states) {
  const ir::Function* f = module_.FindFunction(name);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("module has no function @", name));
  const size_t n = states.size();
  if (n == 0 || symbols.size() != n || args.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat("RunBatch: ", n, " states, ", symbols.size(), " symbol sets and ",
                                                   args.size(), " argument lists"));
  }
  std::vector<ValueMap> values(n);
  for (size_t b = 0; b < n; ++b) {
    const RunIo io{&args[b], nullptr, nullptr, false};
    if (absl::Status st = BindArguments(*f, symbols[b], io, &values[b]); !st.ok()) return st;
  }
  for (const auto& op_ptr : f->ops()) {
    const ir::Operation& op = *op_ptr;
    if (op.code() == OpCode::kReturn) {
      std::vector<std::vector<Tensor>> out(n);
      for (size_t b = 0; b < n; ++b) {
        absl::StatusOr<std::vector<const Tensor*>> in = Operands(op, values[b], states[b]);
        if (!in.ok()) return in.status();
        for (const Tensor* t : *in) out[b].push_back(*t);
      }
      return out;
    }
    absl::StatusOr<bool> shared = EvalAcrossSequences(*f, op, symbols, values, states);
    if (!shared.ok()) return shared.status();
    if (*shared) continue;
    for (size_t b = 0; b < n; ++b) {
      absl::StatusOr<std::vector<const Tensor*>> in = Operands(op, values[b], states[b]);
      if (!in.ok()) return in.status();
      absl::StatusOr<std::vector<Dims>> shapes = ResultShapes(op, symbols[b]);
      if (!shapes.ok()) return shapes.status();
      absl::StatusOr<TensorList> results = EvalOp(*f, op, *in, symbols[b], std::move(*shapes), states[b]);
      if (!results.ok()) return results.status();
      for (size_t r = 0; r < results->size(); ++r) values[b][op.result(static_cast<int>(r))] = std::move((*results)[r]);
    }
  }
  return absl::InternalError(absl::StrCat("@", f->name(), " has no return"));
}

}  // namespace dsc::runtime
