// Module <-> ModuleProto conversion. Loading rebuilds every op through Builder::TryCreate (the
// registry checks it) and verifies the module; each error names the proto field at fault.
#include "ir/proto_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace dsc::ir {
namespace {

#define PROTO_ASSIGN_CONCAT_(a, b) a##b
#define PROTO_ASSIGN_CONCAT(a, b) PROTO_ASSIGN_CONCAT_(a, b)
#define PROTO_ASSIGN_OR_RETURN(lhs, expr) \
  PROTO_ASSIGN_IMPL(PROTO_ASSIGN_CONCAT(_proto_so_, __LINE__), lhs, expr)
#define PROTO_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return tmp.status();     \
  lhs = std::move(*tmp)

template <typename... Args>
absl::Status FieldError(const std::string& path, const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", args...));
}

// ---- to proto

void DimToProto(const Dim& d, proto::DimProto* p) {
  p->set_offset(d.offset());
  for (const std::string& s : d.symbols()) p->add_symbols(s);
}

void ShapeToProto(const Shape& s, proto::ShapeProto* p) {
  for (const Dim& d : s.dims()) DimToProto(d, p->add_dims());
}

void TypeToProto(const Type& t, proto::TypeProto* p) {
  if (t.is_quantized()) {
    p->set_format(std::string(QuantFormatName(t.format())));
  } else {
    p->set_dtype(std::string(DTypeName(t.dtype())));
  }
  ShapeToProto(t.shape(), p->mutable_shape());
}

void AttrToProto(const std::string& name, const AttrValue& v, proto::AttributeProto* p) {
  p->set_name(name);
  switch (KindOf(v)) {
    case AttrKind::kBool: p->set_b(std::get<bool>(v)); break;
    case AttrKind::kInt: p->set_i(std::get<int64_t>(v)); break;
    case AttrKind::kFloat: p->set_f(std::get<double>(v)); break;
    case AttrKind::kString: p->set_s(std::get<std::string>(v)); break;
    case AttrKind::kInts:
      for (int64_t x : std::get<std::vector<int64_t>>(v)) p->mutable_ints()->add_values(x);
      break;
    case AttrKind::kFloats:
      for (double x : std::get<std::vector<double>>(v)) p->mutable_floats()->add_values(x);
      break;
    case AttrKind::kDim: DimToProto(std::get<Dim>(v), p->mutable_dim()); break;
    case AttrKind::kShape: ShapeToProto(std::get<Shape>(v), p->mutable_shape()); break;
    case AttrKind::kDType: p->set_dtype(std::string(DTypeName(std::get<DType>(v)))); break;
    case AttrKind::kSymbol: p->set_symbol(std::get<SymbolRef>(v).name); break;
  }
}

void FunctionToProto(const Function& f, proto::FunctionProto* p) {
  absl::flat_hash_map<const Value*, std::string> names = LocalValueNames(f);
  p->set_name(f.name());
  for (const std::string& s : f.symbols()) p->add_symbols(s);
  for (const auto& a : f.arguments()) {
    proto::ValueProto* v = p->add_args();
    v->set_name(names[a.get()]);
    TypeToProto(a->type(), v->mutable_type());
  }
  for (const auto& op : f.ops()) {
    proto::OpProto* o = p->add_ops();
    o->set_op(std::string(op->name()));
    for (const Value* v : op->operands()) {
      if (v->is_global()) {
        o->add_operands()->set_global(v->name());
      } else {
        o->add_operands()->set_local(names[v]);
      }
    }
    // Registry order first (what the printer shows), then anything the schema does not know,
    // so that nothing is dropped silently (loading will reject it).
    for (const AttrSpec& spec : op->info().attrs) {
      auto it = op->attrs().find(spec.name);
      if (it != op->attrs().end()) AttrToProto(it->first, it->second, o->add_attrs());
    }
    for (const auto& [name, value] : op->attrs()) {
      bool known = false;
      for (const AttrSpec& spec : op->info().attrs) known |= spec.name == name;
      if (!known) AttrToProto(name, value, o->add_attrs());
    }
    for (int i = 0; i < op->num_results(); ++i) {
      proto::ValueProto* r = o->add_results();
      r->set_name(names[op->result(i)]);
      TypeToProto(op->result(i)->type(), r->mutable_type());
    }
  }
}

// ---- from proto

absl::StatusOr<Dim> DimFromProto(const proto::DimProto& p, const std::string& path) {
  Dim d(p.offset());
  for (int i = 0; i < p.symbols_size(); ++i) {
    if (p.symbols(i).empty()) return FieldError(absl::StrCat(path, ".symbols[", i, "]"), "empty symbol name");
    d = d + Dim::Symbol(p.symbols(i));
  }
  return d;
}

absl::StatusOr<Shape> ShapeFromProto(const proto::ShapeProto& p, const std::string& path) {
  std::vector<Dim> dims;
  for (int i = 0; i < p.dims_size(); ++i) {
    PROTO_ASSIGN_OR_RETURN(Dim d, DimFromProto(p.dims(i), absl::StrCat(path, ".dims[", i, "]")));
    dims.push_back(std::move(d));
  }
  return Shape(std::move(dims));
}

absl::StatusOr<DType> DTypeFromProto(const std::string& name, const std::string& path) {
  std::optional<DType> dt = DTypeFromName(name);
  if (!dt) return FieldError(path, "unknown element type '", name, "'");
  return *dt;
}

absl::StatusOr<Type> TypeFromProto(const proto::TypeProto& p, const std::string& path) {
  PROTO_ASSIGN_OR_RETURN(Shape shape, ShapeFromProto(p.shape(), absl::StrCat(path, ".shape")));
  if (!p.dtype().empty() && !p.format().empty()) return FieldError(path, "both dtype and format are set");
  if (!p.format().empty()) {
    std::optional<QuantFormat> f = QuantFormatFromName(p.format());
    if (!f) return FieldError(absl::StrCat(path, ".format"), "unknown quantized format '", p.format(), "'");
    return Type::Quantized(*f, std::move(shape));
  }
  if (p.dtype().empty()) return FieldError(path, "neither dtype nor format is set");
  PROTO_ASSIGN_OR_RETURN(DType dt, DTypeFromProto(p.dtype(), absl::StrCat(path, ".dtype")));
  return Type::Tensor(dt, std::move(shape));
}

absl::StatusOr<AttrValue> AttrFromProto(const proto::AttributeProto& p, const std::string& path) {
  using P = proto::AttributeProto;
  switch (p.value_case()) {
    case P::kB: return AttrValue(p.b());
    case P::kI: return AttrValue(int64_t{p.i()});
    case P::kF: return AttrValue(p.f());
    case P::kS: return AttrValue(p.s());
    case P::kInts: return AttrValue(std::vector<int64_t>(p.ints().values().begin(), p.ints().values().end()));
    case P::kFloats:
      return AttrValue(std::vector<double>(p.floats().values().begin(), p.floats().values().end()));
    case P::kDim: {
      PROTO_ASSIGN_OR_RETURN(Dim d, DimFromProto(p.dim(), absl::StrCat(path, ".dim")));
      return AttrValue(std::move(d));
    }
    case P::kShape: {
      PROTO_ASSIGN_OR_RETURN(Shape s, ShapeFromProto(p.shape(), absl::StrCat(path, ".shape")));
      return AttrValue(std::move(s));
    }
    case P::kDtype: {
      PROTO_ASSIGN_OR_RETURN(DType dt, DTypeFromProto(p.dtype(), absl::StrCat(path, ".dtype")));
      return AttrValue(dt);
    }
    case P::kSymbol: return AttrValue(SymbolRef{p.symbol()});
    case P::VALUE_NOT_SET: break;
  }
  return FieldError(path, "attribute '", p.name(), "' has no value");
}

absl::Status OpFromProto(const Module& m, const proto::OpProto& p, const std::string& path,
                         absl::flat_hash_map<std::string, Value*>& locals, Builder& builder) {
  std::optional<OpCode> code = OpCodeFromName(p.op());
  if (!code) return FieldError(absl::StrCat(path, ".op"), "unknown op '", p.op(), "'");
  std::vector<Value*> operands;
  for (int i = 0; i < p.operands_size(); ++i) {
    const proto::OperandProto& ref = p.operands(i);
    std::string where = absl::StrCat(path, ".operands[", i, "]");
    Value* v = nullptr;
    if (ref.ref_case() == proto::OperandProto::kLocal) {
      auto it = locals.find(ref.local());
      if (it == locals.end()) return FieldError(where, "undefined local value '", ref.local(), "'");
      v = it->second;
    } else if (ref.ref_case() == proto::OperandProto::kGlobal) {
      v = m.FindGlobal(ref.global());
      if (v == nullptr) return FieldError(where, "undefined global '", ref.global(), "'");
    } else {
      return FieldError(where, "neither local nor global is set");
    }
    operands.push_back(v);
  }
  AttrMap attrs;
  for (int i = 0; i < p.attrs_size(); ++i) {
    std::string where = absl::StrCat(path, ".attrs[", i, "]");
    PROTO_ASSIGN_OR_RETURN(AttrValue v, AttrFromProto(p.attrs(i), where));
    if (!attrs.emplace(p.attrs(i).name(), std::move(v)).second) {
      return FieldError(where, "attribute '", p.attrs(i).name(), "' given twice");
    }
  }
  std::vector<std::string> names;
  for (int i = 0; i < p.results_size(); ++i) {
    const std::string& name = p.results(i).name();
    if (!name.empty() && locals.contains(name)) {
      return FieldError(absl::StrCat(path, ".results[", i, "].name"), "redefinition of value '", name, "'");
    }
    names.push_back(name);
  }
  absl::StatusOr<Operation*> op = builder.TryCreate(*code, std::move(operands), std::move(attrs), names);
  if (!op.ok()) return FieldError(path, op.status().message());
  if ((*op)->num_results() != p.results_size()) {
    return FieldError(absl::StrCat(path, ".results"), "'", p.op(), "' produces ", (*op)->num_results(),
                      " results, the proto lists ", p.results_size());
  }
  for (int i = 0; i < p.results_size(); ++i) {
    std::string where = absl::StrCat(path, ".results[", i, "].type");
    PROTO_ASSIGN_OR_RETURN(Type t, TypeFromProto(p.results(i).type(), where));
    if (t != (*op)->result(i)->type()) {
      return FieldError(where, t.ToString(), " does not match inferred ", (*op)->result(i)->type().ToString());
    }
    if (!names[i].empty()) locals[names[i]] = (*op)->result(i);
  }
  return absl::OkStatus();
}

absl::Status FunctionFromProto(Module& m, const proto::FunctionProto& p, const std::string& path) {
  if (m.FindFunction(p.name()) != nullptr) {
    return FieldError(absl::StrCat(path, ".name"), "function '", p.name(), "' is defined twice");
  }
  Function* f = m.AddFunction(p.name(), {p.symbols().begin(), p.symbols().end()});
  absl::flat_hash_map<std::string, Value*> locals;
  for (int i = 0; i < p.args_size(); ++i) {
    std::string where = absl::StrCat(path, ".args[", i, "]");
    const std::string& name = p.args(i).name();
    if (!name.empty() && locals.contains(name)) {
      return FieldError(absl::StrCat(where, ".name"), "redefinition of value '", name, "'");
    }
    PROTO_ASSIGN_OR_RETURN(Type t, TypeFromProto(p.args(i).type(), absl::StrCat(where, ".type")));
    Value* v = f->AddArgument(std::move(t), name);
    if (!name.empty()) locals[name] = v;
  }
  Builder builder(f);
  for (int i = 0; i < p.ops_size(); ++i) {
    absl::Status s = OpFromProto(m, p.ops(i), absl::StrCat(path, ".ops[", i, "]"), locals, builder);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (error.empty()) error = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  std::string error;
};

}  // namespace

proto::ModuleProto ModuleToProto(const Module& m) {
  proto::ModuleProto p;
  p.set_ir_version(kIrVersion);
  p.set_name(m.name());
  for (const auto& [k, v] : m.metadata()) (*p.mutable_metadata())[k] = v;
  for (const auto& c : m.constants()) {
    proto::ConstantProto* cp = p.add_constants();
    cp->set_name(c->name());
    TypeToProto(c->type(), cp->mutable_type());
    for (const TensorRef& r : c->parts()) {
      proto::TensorRefProto* rp = cp->add_parts();
      rp->set_tensor(r.tensor);
      rp->set_file(r.file);
      rp->set_offset(r.offset);
    }
  }
  for (const auto& s : m.states()) {
    proto::StateProto* sp = p.add_states();
    sp->set_name(s->name());
    TypeToProto(s->type(), sp->mutable_type());
  }
  for (const auto& f : m.functions()) FunctionToProto(*f, p.add_functions());
  return p;
}

absl::StatusOr<std::unique_ptr<Module>> ModuleFromProto(const proto::ModuleProto& p) {
  if (p.ir_version() == 0) {
    return FieldError("ir_version", "missing: not a dsc IR module (empty or foreign proto?)");
  }
  if (p.ir_version() != kIrVersion) {
    return FieldError("ir_version", "unsupported version ", p.ir_version(), "; this build reads version ",
                      kIrVersion);
  }
  auto m = std::make_unique<Module>(p.name());
  for (const auto& [k, v] : p.metadata()) m->metadata()[k] = v;
  for (int i = 0; i < p.constants_size(); ++i) {
    const proto::ConstantProto& c = p.constants(i);
    std::string path = absl::StrCat("constants[", i, "]");
    if (c.name().empty()) return FieldError(absl::StrCat(path, ".name"), "empty name");
    if (m->FindGlobal(c.name())) return FieldError(absl::StrCat(path, ".name"), "global '", c.name(), "' is defined twice");
    PROTO_ASSIGN_OR_RETURN(Type t, TypeFromProto(c.type(), absl::StrCat(path, ".type")));
    std::vector<TensorRef> parts;
    for (const auto& r : c.parts()) parts.push_back({r.tensor(), r.file(), r.offset()});
    m->AddConstant(c.name(), std::move(t), std::move(parts));
  }
  for (int i = 0; i < p.states_size(); ++i) {
    const proto::StateProto& s = p.states(i);
    std::string path = absl::StrCat("states[", i, "]");
    if (s.name().empty()) return FieldError(absl::StrCat(path, ".name"), "empty name");
    if (m->FindGlobal(s.name())) return FieldError(absl::StrCat(path, ".name"), "global '", s.name(), "' is defined twice");
    PROTO_ASSIGN_OR_RETURN(Type t, TypeFromProto(s.type(), absl::StrCat(path, ".type")));
    m->AddState(s.name(), std::move(t));
  }
  for (int i = 0; i < p.functions_size(); ++i) {
    absl::Status s = FunctionFromProto(*m, p.functions(i), absl::StrCat("functions[", i, "]"));
    if (!s.ok()) return s;
  }
  if (absl::Status s = Verify(*m); !s.ok()) return s;
  return m;
}

std::string SerializeModule(const Module& m) {
  // Deterministic (map entries sorted) so equal modules give equal bytes, e.g. for cache keys.
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ModuleToProto(m).SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<proto::ModuleProto> ParseModuleProto(absl::string_view bytes) {
  proto::ModuleProto p;
  // Invalid UTF-8 in a string field makes protobuf log to stderr; the Status says it instead.
  google::protobuf::LogSilencer silence;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        "not a dsc IR module: the bytes do not parse as a binary ModuleProto");
  }
  // A foreign message usually parses into unknown fields only; say so rather than "missing".
  if (p.ir_version() != kIrVersion && !p.GetReflection()->GetUnknownFields(p).empty()) {
    return absl::InvalidArgumentError(
        "not a dsc IR module: the proto has fields ModuleProto does not define (a foreign proto?)");
  }
  return p;
}

std::string ModuleToTextProto(const Module& m) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(ModuleToProto(m), &out);
  return out;
}

absl::StatusOr<proto::ModuleProto> ParseModuleTextProto(absl::string_view text, absl::string_view filename) {
  proto::ModuleProto p;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &p)) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ":", errors.error));
  }
  return p;
}

absl::StatusOr<std::unique_ptr<Module>> ModuleFromBinaryProto(absl::string_view bytes) {
  PROTO_ASSIGN_OR_RETURN(proto::ModuleProto p, ParseModuleProto(bytes));
  return ModuleFromProto(p);
}

absl::StatusOr<std::unique_ptr<Module>> ModuleFromTextProto(absl::string_view text, absl::string_view filename) {
  PROTO_ASSIGN_OR_RETURN(proto::ModuleProto p, ParseModuleTextProto(text, filename));
  return ModuleFromProto(p);
}

}  // namespace dsc::ir
