// constant-fold: evaluates ops whose value is known at compile time and replaces them by a
// `literal` op holding the values inline (as doubles; exact for f32 and for integers < 2^53).
//
// Design: the module's constants are references into the checkpoint and never hold data, so a
// computed table lives in the function as a `literal` op — printed, parsed, CSE'd and
// evaluated like any other op, with no second kind of constant. Only small results are folded
// (kMaxElements): the rotary frequency table (d_r/2 floats; the angle table would be
// N_max·d_r/2 and stays a runtime product), positions with a static start, and arithmetic,
// reshapes and casts of literals. Arithmetic is done in float32, as the interpreter would.
#include <cmath>

#include "absl/strings/str_cat.h"

#include "ir/builder.h"
#include "numerics/rope.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::DType;
using ir::OpCode;
using ir::Operation;

constexpr int64_t kMaxElements = 4096;

const std::vector<double>& ValuesOf(const Operation& literal) {
  return std::get<std::vector<double>>(literal.attrs().at("values"));
}

// The folded values of `op` (single result, all operands literals), or nullopt.
std::optional<std::vector<double>> Evaluate(const Operation& op) {
  std::vector<const std::vector<double>*> in;
  for (const ir::Value* v : op.operands()) {
    const Operation* lit = DefinedBy(v, OpCode::kLiteral);
    if (lit == nullptr) return std::nullopt;
    in.push_back(&ValuesOf(*lit));
  }
  const ir::AttrMap& at = op.attrs();
  auto f32 = [](double v) { return static_cast<float>(v); };
  switch (op.code()) {
    case OpCode::kRopeFreqs: {
      absl::StatusOr<std::vector<float>> f = numerics::YarnFrequencies(
          ir::GetInt(at, "dim"), ir::GetFloat(at, "theta"), ir::GetFloat(at, "factor"),
          ir::GetInt(at, "original_seq_len"), ir::GetFloat(at, "beta_fast"), ir::GetFloat(at, "beta_slow"),
          ir::GetInt(at, "max_seq_len"));
      if (!f.ok()) return std::nullopt;  // left for the interpreter to report
      return std::vector<double>(f->begin(), f->end());
    }
    case OpCode::kPositions: {
      const ir::Dim& start = ir::GetDim(at, "start");
      if (!start.is_static()) return std::nullopt;
      std::vector<double> out(static_cast<size_t>(ir::GetDim(at, "length").offset()));
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(start.offset() + static_cast<int64_t>(i));
      return out;
    }
    case OpCode::kScale: {
      float s = f32(ir::GetFloat(at, "factor"));
      std::vector<double> out;
      for (double v : *in[0]) out.push_back(f32(v) * s);
      return out;
    }
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv: {
      if (op.operand(0)->type().shape() != op.operand(1)->type().shape()) return std::nullopt;
      std::vector<double> out;
      for (size_t i = 0; i < in[0]->size(); ++i) {
        float a = f32((*in[0])[i]), b = f32((*in[1])[i]);
        out.push_back(op.code() == OpCode::kAdd   ? a + b
                      : op.code() == OpCode::kSub ? a - b
                      : op.code() == OpCode::kMul ? a * b
                                                  : a / b);
      }
      return out;
    }
    case OpCode::kReshape:
      return *in[0];
    case OpCode::kCast: {
      DType to = ir::GetDType(at, "dtype");
      std::vector<double> out;
      for (double v : *in[0]) out.push_back(to == DType::kF32 ? f32(v) : std::trunc(v));
      return out;
    }
    default:
      return std::nullopt;
  }
}

class ConstantFoldPass : public Pass {
 public:
  std::string_view name() const override { return "constant-fold"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* op = f->ops()[i].get();
        if (op->num_results() != 1 || !IsPure(*op) || op->code() == OpCode::kLiteral) continue;
        const ir::Type& type = op->result(0)->type();
        DType dt = type.dtype();
        if (type.is_quantized() || !type.shape().is_static() || type.shape().num_elements() > kMaxElements ||
            (dt != DType::kF32 && dt != DType::kI32 && dt != DType::kI64)) {
          continue;
        }
        std::optional<std::vector<double>> values = Evaluate(*op);
        if (!values) continue;
        ir::Builder b(f);
        b.SetInsertionPoint(i);
        b.Named(op->result(0)->name());
        ir::Value* lit = b.Op(OpCode::kLiteral, {},
                              {{"dtype", dt}, {"shape", type.shape()}, {"values", std::move(*values)}});
        ReplaceOp(op, {lit});
        Count(absl::StrCat(std::string(op->name()), " folded"));
        changed = true;
        ++i;  // skip the op just replaced
      }
      EraseDeadOps(*f);
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateConstantFoldPass() { return std::make_unique<ConstantFoldPass>(); }

}  // namespace dsc::passes
