// The interpreter's driver: binds arguments and symbols, walks a function's ops in order,
// and handles the ops that touch state (KV caches) or call functions (MoE experts).
#include "runtime/interp/interpreter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "ir/memory_plan.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {
namespace {

using ir::DType;
using ir::OpCode;

// Widens stored elements to float32 exactly.
absl::StatusOr<std::vector<float>> DecodeFloats(const uint8_t* p, DType dtype, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    switch (dtype) {
      case DType::kF32: std::memcpy(&out[j], p + 4 * j, 4); break;
      case DType::kBF16: {
        uint16_t b;
        std::memcpy(&b, p + 2 * j, 2);
        out[j] = numerics::Bf16ToFloat(b);
        break;
      }
      case DType::kF16: {
        uint16_t b;
        std::memcpy(&b, p + 2 * j, 2);
        out[j] = numerics::F16ToFloat(b);
        break;
      }
      case DType::kF8E4M3: out[j] = numerics::DecodeE4m3(p[j]); break;
      default: return absl::InvalidArgumentError(absl::StrCat("cannot decode ", ir::DTypeName(dtype).data(), " constants"));
    }
  }
  return out;
}

// Makes a state buffer hold at least `rows` rows of `width` (new rows zero), growing its
// storage geometrically so that a decode loop appending one row per step copies O(n) in total.
void GrowStateRows(Tensor& buf, int64_t rows, int64_t width) {
  const size_t needed = static_cast<size_t>(rows * width);
  if (buf.f.size() >= needed) return;
  if (buf.f.capacity() < needed) {
    const size_t full = static_cast<size_t>(buf.numel());
    buf.f.reserve(std::min(full, std::max(needed, 2 * buf.f.capacity())));
  }
  buf.f.resize(needed, 0.0f);
}

constexpr int kMaxPlannedResults = 4;

// Rounds values to what a state buffer of `dtype` stores (bf16 KV cache mode).
float StoreAs(float v, DType dtype) {
  if (dtype == DType::kBF16) return numerics::Bf16ToFloat(numerics::FloatToBf16(v));
  return v;
}

}  // namespace

Interpreter::Interpreter(const ir::Module& module, TensorBytesFn bytes) : module_(module), bytes_(std::move(bytes)) {}

std::unique_ptr<SequenceState> Interpreter::NewSequence() const {
  // Shaped to the full capacity but holding only the rows written so far (GrowStateRows): a
  // cache sized to a 160K-token context must not be allocated and zeroed up front.
  auto state = std::make_unique<SequenceState>();
  for (const auto& s : module_.states()) {
    Tensor t;
    t.dtype = s->type().dtype();
    t.shape = ToDims(s->type().shape().Evaluate({}).value());
    state->buffers.emplace(s.get(), std::move(t));
  }
  return state;
}

void Interpreter::FindInPlaceConstants() {
  absl::flat_hash_set<const ir::Value*> other_uses;
  for (const auto& f : module_.functions()) {
    for (const auto& op : f->ops()) {
      for (int i = 0; i < op->num_operands(); ++i) {
        const ir::Value* v = op->operand(i);
        if (v->kind() != ir::Value::Kind::kConstant) continue;
        const bool reads_in_place = (op->code() == OpCode::kMatmul && i == 1) ||
                                    (op->code() == OpCode::kEmbedding && i == 0);
        (reads_in_place ? in_place_ : other_uses).insert(v);
      }
    }
  }
  for (const ir::Value* v : other_uses) in_place_.erase(v);
  in_place_known_ = true;
}

absl::StatusOr<const Tensor*> Interpreter::Constant(const ir::Value* c) {
  auto it = constants_.find(c);
  if (it != constants_.end()) return &it->second;
  Tensor t;
  t.shape = ToDims(c->type().shape().Evaluate({}).value());
  std::vector<const uint8_t*> parts;
  for (const ir::TensorRef& ref : c->parts()) {
    absl::StatusOr<const uint8_t*> p = bytes_(ref);
    if (!p.ok()) return p.status();
    parts.push_back(*p);
  }
  if (fast_ != nullptr && !in_place_known_) FindInPlaceConstants();
  if (c->type().is_quantized()) {
    t.quantized = true;
    t.quant = QuantView{c->type().format(), std::move(parts)};
  } else if (fast_ != nullptr && parts.size() == 1 && c->type().dtype() == DType::kBF16 && in_place_.contains(c)) {
    t.dtype = DType::kBF16;
    t.raw = parts[0];
  } else {
    t.dtype = c->type().dtype();
    int64_t per_part = t.numel() / static_cast<int64_t>(parts.size());
    for (const uint8_t* p : parts) {
      absl::StatusOr<std::vector<float>> f = DecodeFloats(p, t.dtype, per_part);
      if (!f.ok()) return absl::InvalidArgumentError(absl::StrCat("constant @", c->name(), ": ", f.status().message()));
      t.f.insert(t.f.end(), f->begin(), f->end());
    }
  }
  return &constants_.emplace(c, std::move(t)).first->second;
}

absl::StatusOr<std::vector<Tensor>> Interpreter::Run(const std::string& name, const ir::SymbolBindings& symbols,
                                                     std::vector<Tensor> args, SequenceState* state) {
  const ir::Function* f = module_.FindFunction(name);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("module has no function @", name));
  return RunFunction(*f, symbols, std::move(args), state);
}

absl::Status Interpreter::RunInto(const std::string& name, const ir::SymbolBindings& symbols,
                                  const std::vector<Tensor>& args, SequenceState* state,
                                  std::vector<Tensor>* results) {
  const ir::Function* f = module_.FindFunction(name);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("module has no function @", name));
  return Execute(*f, symbols, RunIo{nullptr, &args, results, /*reuse_results=*/true}, state);
}

absl::StatusOr<std::vector<Tensor>> Interpreter::RunFunction(const ir::Function& f, const ir::SymbolBindings& symbols,
                                                             std::vector<Tensor> args, SequenceState* state) {
  std::vector<Tensor> results;
  if (absl::Status st = Execute(f, symbols, RunIo{&args, nullptr, &results, false}, state); !st.ok()) return st;
  return results;
}

absl::Status Interpreter::BindArguments(const ir::Function& f, const ir::SymbolBindings& symbols,
                                        const RunIo& io, ValueMap* values) {
  const std::vector<Tensor>& args = io.owned_args != nullptr ? *io.owned_args : *io.viewed_args;
  if (args.size() != f.arguments().size()) {
    return absl::InvalidArgumentError(absl::StrCat("@", f.name(), " takes ", f.arguments().size(), " arguments, got ", args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const ir::Value* arg = f.argument(static_cast<int>(i));
    if (!arg->type().is_quantized()) {
      const std::vector<ir::Dim>& dims = arg->type().shape().dims();
      bool same = dims.size() == args[i].shape.size();
      for (size_t d = 0; same && d < dims.size(); ++d) {
        absl::StatusOr<int64_t> n = dims[d].Evaluate(symbols);
        if (!n.ok()) return n.status();
        same = *n == args[i].shape[d];
      }
      if (!same) {
        return absl::InvalidArgumentError(absl::StrCat("@", f.name(), " argument %", arg->name(), ": shape does not match ",
                                                       arg->type().ToString(), " under the bound symbols"));
      }
    }
    if (io.owned_args != nullptr) {
      values->emplace(arg, std::move((*io.owned_args)[i]));
      continue;
    }
    values->emplace(arg, Tensor::ViewOf(args[i]));  // read in place
  }
  return absl::OkStatus();
}

const std::vector<std::vector<const ir::Value*>>& Interpreter::DeadAfter(const ir::Function& f) {
  auto it = dead_after_.find(&f);
  if (it != dead_after_.end()) return it->second;
  const auto& ops = f.ops();
  absl::flat_hash_map<const ir::Value*, size_t> last_use;
  for (size_t i = 0; i < ops.size(); ++i) {
    for (int r = 0; r < ops[i]->num_results(); ++r) last_use[ops[i]->result(r)] = i;  // unused: freed at once
    for (const ir::Value* v : ops[i]->operands()) {
      if (v->kind() != ir::Value::Kind::kConstant && v->kind() != ir::Value::Kind::kState) last_use[v] = i;
    }
  }
  std::vector<std::vector<const ir::Value*>> dead(ops.size());
  for (const auto& [v, i] : last_use) {
    if (ops[i]->code() != OpCode::kReturn) dead[i].push_back(v);
  }
  return dead_after_.emplace(&f, std::move(dead)).first->second;
}

Interpreter::FunctionArena* Interpreter::ArenaFor(const ir::Function& f) {
  auto it = arenas_.find(&f);
  if (it != arenas_.end()) return it->second.get();
  auto arena = std::make_unique<FunctionArena>();
  const int64_t bound = std::max<int64_t>(1, ir::ContextBound(module_));
  const ir::MemoryPlan plan = ir::PlanFunctionMemory(f, bound, [](DType t) -> int64_t {
    return ir::IsInteger(t) || t == DType::kBool ? 64 : 32;  // Tensor::i / Tensor::f elements
  });
  if (plan.arena_bytes > 0 && plan.arena_bytes <= kMaxArenaBytes) {
    const size_t bytes = static_cast<size_t>(plan.arena_bytes);
    arena->memory = {static_cast<uint8_t*>(std::aligned_alloc(ir::kArenaAlignment, bytes)),
                     [](uint8_t* p) { std::free(p); }};
    for (const ir::BufferAssignment& b : plan.buffers) {
      // Reshapes take their operand's tensor; returned values own their storage (the caller
      // keeps them past the next run).
      if (b.alias_of != nullptr || b.last == static_cast<int>(f.ops().size())) continue;
      arena->slots[b.value] = ResultSlot{arena->memory.get() + b.offset, b.bytes};
    }
  }
  return arenas_.emplace(&f, std::move(arena)).first->second.get();
}

absl::Status Interpreter::Execute(const ir::Function& f, const ir::SymbolBindings& symbols, const RunIo& io,
                                  SequenceState* state) {
  const std::vector<std::vector<const ir::Value*>>& dead_after = DeadAfter(f);
  // The function's arena and per-op scratch, unless a run of it is already in progress (a
  // nested call): then this run allocates as it goes.
  FunctionArena* scratch = ArenaFor(f);
  if (scratch->busy) scratch = nullptr;
  struct Release {
    FunctionArena* scratch;
    ~Release() {
      if (scratch != nullptr) scratch->busy = false;
    }
  } release{scratch};
  if (scratch != nullptr) scratch->busy = true;
  FunctionArena* const arena = scratch != nullptr && scratch->memory != nullptr ? scratch : nullptr;
  std::vector<const Tensor*> local_in;
  std::vector<std::vector<Dims>> local_shapes;
  std::vector<const Tensor*>& in = scratch != nullptr ? scratch->operands : local_in;
  std::vector<std::vector<Dims>>& shapes_of_op = scratch != nullptr ? scratch->shapes : local_shapes;
  shapes_of_op.resize(f.ops().size());
  ValueMap local_values;
  ValueMap& values = scratch != nullptr ? scratch->values : local_values;
  // Emptied element by element: clear() would free a table this size, and refilling it would
  // allocate again on every run.
  for (auto it = values.begin(); it != values.end();) values.erase(it++);
  // cache_read lends the state buffer itself when the read covers exactly the rows written
  // (a decode step reads the whole cache right after writing its row): no copy of the cache per
  // read. The buffer goes back when the value dies, before anything else touches the state,
  // and when the run ends (also on errors).
  absl::flat_hash_map<const ir::Value*, const ir::Value*> local_lent;  // state -> value holding it
  absl::flat_hash_map<const ir::Value*, const ir::Value*>& lent = scratch != nullptr ? scratch->lent : local_lent;
  lent.clear();  // (small: clear keeps its table)
  auto give_back = [&](const ir::Value* s, bool copy) {
    Tensor& holder = values.at(lent.at(s));
    Tensor& buf = state->buffers.at(s);
    if (copy) {
      buf.f = holder.f;
    } else {
      buf.f = std::move(holder.f);
    }
    lent.erase(s);
  };
  struct ReturnAll {
    std::function<void()> fn;
    ~ReturnAll() { fn(); }
  } return_all{[&] {
    while (!lent.empty()) give_back(lent.begin()->first, false);
  }};
  if (absl::Status st = BindArguments(f, symbols, io, &values); !st.ok()) return st;
  // RunInto: a returned value an op defines goes straight into the caller's tensor when its
  // storage is large enough (the previous run's result), so handing it back copies nothing.
  struct IntoSlot {
    const ir::Value* value = nullptr;
    ResultSlot slot;
  };
  IntoSlot into[kMaxPlannedResults];
  int n_into = 0;
  if (io.reuse_results && !f.ops().empty() && f.ops().back()->code() == OpCode::kReturn) {
    const ir::Operation& ret = *f.ops().back();
    for (int i = 0; i < ret.num_operands() && i < static_cast<int>(io.results->size()) && n_into < kMaxPlannedResults;
         ++i) {
      Buffer<float>& storage = (*io.results)[i].f;
      if (ret.operand(i)->defining_op() == nullptr || storage.borrowed() || storage.capacity() == 0) continue;
      into[n_into++] = {ret.operand(i), {storage.data(), static_cast<int64_t>(storage.capacity() * sizeof(float))}};
    }
  }
  for (size_t index = 0; index < f.ops().size(); ++index) {
    const ir::Operation& op = *f.ops()[index];
    for (const ir::Value* v : op.operands()) {  // the op may read or write a lent state: take it back
      if (v->kind() == ir::Value::Kind::kState && lent.contains(v)) give_back(v, /*copy=*/true);
    }
    if (absl::Status st = OperandsInto(op, values, state, &in); !st.ok()) return st;
    if (op.code() == OpCode::kReturn) {  // results the run owns move out; arena ones are copied
      std::vector<Tensor>& out = *io.results;
      if (!io.reuse_results) out.clear();
      out.resize(in.size());
      for (int i = 0; i < op.num_operands(); ++i) {
        const ir::Value* v = op.operand(i);
        Tensor& r = out[static_cast<size_t>(i)];
        if (io.reuse_results && !in[i]->f.empty() && in[i]->f.data() == r.f.data()) {  // already in place
          r.dtype = in[i]->dtype;
          r.shape = in[i]->shape;
          r.f.set_size(in[i]->f.size());
          continue;
        }
        const bool once = std::count(op.operands().begin(), op.operands().end(), v) == 1;
        auto it = values.find(v);
        const bool movable = once && it != values.end() && !it->second.f.borrowed() && !it->second.i.borrowed() &&
                             std::none_of(lent.begin(), lent.end(), [&](const auto& e) { return e.second == v; });
        if (movable) {
          r = std::move(it->second);
        } else {
          r = *in[i];
        }
      }
      return absl::OkStatus();
    }
    std::vector<Dims>& shapes = shapes_of_op[index];
    if (absl::Status st = ResultShapesInto(op, symbols, &shapes); !st.ok()) return st;
    Tensor* buf = op.code() == OpCode::kCacheRead ? &state->buffers.at(op.operand(0)) : nullptr;
    auto elements = [](const Dims& shape) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      return n;
    };
    // A reshape of a value that dies here takes its buffer under the new shape (copying
    // prefill's [512, 128, 192] tensors cost ~25 ms per reshape at full shapes).
    const ir::Value* source = op.code() == OpCode::kReshape ? op.operand(0) : nullptr;
    const bool take_source =
        source != nullptr && source->kind() != ir::Value::Kind::kConstant &&
        source->kind() != ir::Value::Kind::kState &&
        std::find(dead_after[index].begin(), dead_after[index].end(), source) != dead_after[index].end() &&
        std::none_of(lent.begin(), lent.end(), [&](const auto& entry) { return entry.second == source; });
    // With the arena, a reshape of a value in it is a view of the same bytes: the plan keeps
    // them reserved until the reshape's last reader.
    const Tensor* arena_source = arena != nullptr && source != nullptr && !take_source &&
                                         source->kind() != ir::Value::Kind::kConstant &&
                                         source->kind() != ir::Value::Kind::kState
                                     ? &values.at(source)
                                     : nullptr;
    const bool view_source = arena_source != nullptr && (arena_source->f.borrowed() || arena_source->i.borrowed());
    if (take_source) {
      ObservedOp observed(observer_, f, op, in, symbols);
      Tensor y = std::move(values.at(source));
      y.shape = shapes[0];
      values[op.result(0)] = std::move(y);
    } else if (view_source) {
      ObservedOp observed(observer_, f, op, in, symbols);
      Tensor y = Tensor::ViewOf(*arena_source);
      y.shape = shapes[0];
      values[op.result(0)] = std::move(y);
    } else if (buf != nullptr && !shapes[0].empty() && shapes[0][0] <= buf->shape[0] &&
               static_cast<int64_t>(buf->f.size()) == elements(shapes[0])) {
      ObservedOp observed(observer_, f, op, in, symbols);
      Tensor y;
      y.dtype = buf->dtype;
      y.shape = shapes[0];
      y.f = std::move(buf->f);
      values[op.result(0)] = std::move(y);
      lent[op.operand(0)] = op.result(0);
    } else {
      ResultSlot slots[kMaxPlannedResults];
      const bool planned = arena != nullptr && op.num_results() <= kMaxPlannedResults;
      for (int r = 0; planned && r < op.num_results(); ++r) {
        auto slot = arena->slots.find(op.result(r));
        slots[r] = slot == arena->slots.end() ? ResultSlot{} : slot->second;
        for (int j = 0; j < n_into; ++j) {
          if (into[j].value == op.result(r)) slots[r] = into[j].slot;
        }
      }
      absl::StatusOr<TensorList> results =
          EvalOp(f, op, in, symbols, shapes, state, planned ? slots : nullptr);
      if (!results.ok()) return results.status();
      for (size_t r = 0; r < results->size(); ++r) values[op.result(static_cast<int>(r))] = std::move((*results)[r]);
    }
    for (const ir::Value* v : dead_after[index]) {
      for (const auto& [s, holder] : lent) {
        if (holder == v) {
          give_back(s, /*copy=*/false);
          break;
        }
      }
      values.erase(v);
    }
  }
  return absl::InternalError(absl::StrCat("@", f.name(), " has no return"));
}

absl::StatusOr<std::vector<const Tensor*>> Interpreter::Operands(const ir::Operation& op, const ValueMap& values,
                                                                  SequenceState* state) {
  std::vector<const Tensor*> in;
  if (absl::Status st = OperandsInto(op, values, state, &in); !st.ok()) return st;
  return in;
}

absl::Status Interpreter::OperandsInto(const ir::Operation& op, const ValueMap& values, SequenceState* state,
                                       std::vector<const Tensor*>* out) {
  std::vector<const Tensor*>& in = *out;
  in.clear();
  for (const ir::Value* v : op.operands()) {
    if (v->kind() == ir::Value::Kind::kConstant) {
      absl::StatusOr<const Tensor*> c = Constant(v);
      if (!c.ok()) return c.status();
      in.push_back(*c);
    } else if (v->kind() == ir::Value::Kind::kState) {
      in.push_back(&state->buffers.at(v));
    } else {
      in.push_back(&values.at(v));
    }
  }
  return absl::OkStatus();
}

absl::Status Interpreter::ResultShapesInto(const ir::Operation& op, const ir::SymbolBindings& symbols,
                                           std::vector<Dims>* out) {
  // Into the vectors already there (their capacity is reused run after run).
  out->resize(static_cast<size_t>(op.num_results()));
  for (int r = 0; r < op.num_results(); ++r) {
    const ir::Shape& shape = op.result(r)->type().shape();
    Dims& dims = (*out)[static_cast<size_t>(r)];
    dims.resize(shape.dims().size());
    for (size_t d = 0; d < dims.size(); ++d) {
      absl::StatusOr<int64_t> n = shape.dims()[d].Evaluate(symbols);
      if (!n.ok()) return n.status();
      dims[d] = *n;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Dims>> Interpreter::ResultShapes(const ir::Operation& op,
                                                             const ir::SymbolBindings& symbols) {
  std::vector<Dims> shapes;
  if (absl::Status st = ResultShapesInto(op, symbols, &shapes); !st.ok()) return st;
  return shapes;
}

absl::StatusOr<TensorList> Interpreter::EvalOp(const ir::Function& f, const ir::Operation& op,
                                                        const std::vector<const Tensor*>& in,
                                                        const ir::SymbolBindings& symbols,
                                                        const std::vector<Dims>& result_shapes,
                                                        SequenceState* state, const ResultSlot* slots) {
  ObservedOp observed(observer_, f, op, in, symbols);  // profiling hook; no-op when unset
  EvalArgs a{op, in, symbols, result_shapes, fast_, slots};
  TensorList results;
  switch (op.code()) {
    case OpCode::kCacheWrite: {
      Tensor& buf = state->buffers.at(op.operand(0));
      const Tensor& rows = *in[1];
      absl::StatusOr<int64_t> start = ir::GetDim(op.attrs(), "start").Evaluate(symbols);
      if (!start.ok()) return start.status();
      int64_t n = rows.shape[0], width = n == 0 ? 0 : rows.numel() / n;
      if (*start < 0 || *start + n > buf.shape[0]) {
        return absl::OutOfRangeError(absl::StrCat("context overflow: positions [", *start, ", ", *start + n,
                                                  ") do not fit the KV cache of ", buf.shape[0], " tokens"));
      }
      GrowStateRows(buf, *start + n, width);
      for (int64_t j = 0; j < n * width; ++j) buf.f[*start * width + j] = StoreAs(rows.f[j], buf.dtype);
      return results;
    }
    case OpCode::kCacheRead: {
      const Tensor& buf = *in[0];
      Tensor y = a.NewFloat(0, buf.dtype);
      if (a.result_shapes[0][0] > buf.shape[0]) return absl::OutOfRangeError("context overflow: cache read past its capacity");
      // Rows never written read as zeros (the buffer holds only the rows written so far).
      std::copy_n(buf.f.begin(), std::min(y.f.size(), buf.f.size()), y.f.begin());
      results.push_back(std::move(y));
      return results;
    }
    case OpCode::kMoeExperts: {
      absl::StatusOr<Tensor> y = RunMoeExperts(op, in, state);
      if (!y.ok()) return y.status();
      results.push_back(std::move(*y));
      return results;
    }
    default: {
      // The family that evaluated this op code before goes first: asking every family in turn
      // built an Unimplemented status (a heap string) per miss, hundreds per decode step.
      static constexpr EvalResult (*kFamilies[])(const EvalArgs&) = {
          EvalLinearOp, EvalElementwiseOp, EvalNormOp, EvalShapeOp, EvalModelOp, EvalFusedOp};
      const size_t code = static_cast<size_t>(op.code());
      EvalResult r = absl::UnimplementedError("");
      if (int8_t known = family_of_[code]; known >= 0) r = kFamilies[known](a);
      if (!r.ok() && r.status().code() == absl::StatusCode::kUnimplemented) {
        for (int8_t i = 0; i < static_cast<int8_t>(std::size(kFamilies)); ++i) {
          r = kFamilies[i](a);
          if (r.ok() || r.status().code() != absl::StatusCode::kUnimplemented) {
            family_of_[code] = i;
            break;
          }
        }
      }
      if (!r.ok()) {
        return absl::Status(r.status().code(), absl::StrCat("@", f.name(), ": '", std::string(op.name()), "': ", r.status().message()));
      }
      return std::move(*r);
    }
  }
}

// Generic MoE (model.md §9): for each expert in increasing id, run the body on the rows routed
// to it and accumulate weight · output into a float32 accumulator per token.
absl::StatusOr<Tensor> Interpreter::RunMoeExperts(const ir::Operation& op, const std::vector<const Tensor*>& in,
                                                  SequenceState* state) {
  const Tensor& x = *in[0];
  const Tensor& weights = *in[1];
  const Tensor& experts = *in[2];
  const ir::Function* body = module_.FindFunction(std::get<ir::SymbolRef>(op.attrs().at("body")).name);
  if (body == nullptr) return absl::InvalidArgumentError("moe_experts: unknown body function");
  int64_t rows = x.shape[0], dim = x.shape[1], k = weights.shape[1];
  int64_t n_experts = in[3]->shape[0];
  Tensor acc = Tensor::Float(x.shape);
  for (int64_t e = 0; e < n_experts; ++e) {
    std::vector<int64_t> picked;  // (row, slot) pairs routed to e
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < k; ++j) {
        if (experts.i[r * k + j] == e) picked.push_back(r * k + j);
      }
    }
    if (picked.empty()) continue;
    int64_t n = static_cast<int64_t>(picked.size());
    Tensor xe = Tensor::Float({n, dim});
    for (int64_t p = 0; p < n; ++p) std::copy_n(x.f.begin() + (picked[p] / k) * dim, dim, xe.f.begin() + p * dim);
    std::vector<Tensor> args;
    args.push_back(std::move(xe));
    for (int w = 3; w < 6; ++w) args.push_back(ExpertSlice(*in[w], e));
    absl::StatusOr<std::vector<Tensor>> y = RunFunction(*body, {{body->symbols()[0], n}}, std::move(args), state);
    if (!y.ok()) return y.status();
    for (int64_t p = 0; p < n; ++p) {
      float g = weights.f[picked[p]];
      float* dst = acc.f.data() + (picked[p] / k) * dim;
      for (int64_t c = 0; c < dim; ++c) dst[c] += (*y)[0].f[p * dim + c] * g;
    }
  }
  return acc;
}

// Matrix `e` of a stacked [E, N, K] weight, as the body's argument.
Tensor Interpreter::ExpertSlice(const Tensor& w, int64_t e) {
  Tensor t;
  t.dtype = w.dtype;
  t.shape = {w.shape[1], w.shape[2]};
  if (w.quantized) {
    size_t per = w.quant.parts.size() / static_cast<size_t>(w.shape[0]);
    t.quantized = true;
    t.quant.format = w.quant.format;
    t.quant.parts.assign(w.quant.parts.begin() + e * per, w.quant.parts.begin() + (e + 1) * per);
  } else {
    int64_t per = t.numel();
    t.f.assign(w.f.begin() + e * per, w.f.begin() + (e + 1) * per);
  }
  return t;
}

}  // namespace dsc::runtime
