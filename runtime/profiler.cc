// Op timing, byte accounting and kernel-class attribution for the interpreter (see profiler.h).
#include "runtime/profiler.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

int64_t PlainBytes(int64_t numel, ir::DType dtype) { return numel * ir::DTypeBits(dtype) / 8; }

// Bytes of the matrices of a weight operand [..., N, K] (`matrices` of them).
int64_t WeightBytes(const Tensor& t, int64_t matrices) {
  if (t.shape.size() < 2) return t.quantized ? 0 : PlainBytes(t.numel(), t.dtype);
  const int64_t n = t.shape[t.shape.size() - 2], k = t.shape.back();
  return matrices * (t.quantized ? QuantMatrixBytes(t.quant.format, n, k) : PlainBytes(n * k, t.dtype));
}

int64_t AllMatrices(const Tensor& t) {
  if (t.shape.size() < 2) return 1;
  const int64_t nk = t.shape[t.shape.size() - 2] * t.shape.back();
  return nk == 0 ? 0 : t.numel() / nk;
}

// The module a checkpoint weight or cache name belongs to: its class and layer.
struct NamedModule {
  KernelClass cls = KernelClass::kOther;
  int layer = kPreludeLayer;
  bool known = false;
};

NamedModule ModuleOf(const std::string& name) {
  NamedModule m;
  m.known = true;
  const absl::string_view n = name;
  if (absl::StartsWith(n, "model.layers.")) {
    absl::string_view rest = n.substr(13);
    const size_t dot = rest.find('.');
    int layer = 0;
    if (dot == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, dot), &layer)) return {};
    m.layer = layer;
    rest = rest.substr(dot + 1);
    if (absl::StartsWith(rest, "self_attn.indexer.")) {
      m.cls = KernelClass::kIndexer;
    } else if (absl::StartsWith(rest, "self_attn.")) {
      m.cls = KernelClass::kMlaAttention;
    } else if (rest == "mlp.gate" || absl::StartsWith(rest, "mlp.gate.")) {
      m.cls = KernelClass::kMoeGate;
    } else if (absl::StartsWith(rest, "mlp.experts.")) {
      m.cls = KernelClass::kRoutedExperts;
    } else if (absl::StartsWith(rest, "mlp.shared_experts.")) {
      m.cls = KernelClass::kSharedExpert;
    } else if (absl::StartsWith(rest, "mlp.")) {
      m.cls = KernelClass::kDenseMlp;
    } else {
      m.cls = KernelClass::kNormsElementwise;  // input_layernorm, post_attention_layernorm
    }
    return m;
  }
  if (n == "lm_head") return {KernelClass::kLmHead, kHeadLayer, true};
  if (absl::StartsWith(n, "model.norm")) return {KernelClass::kNormsElementwise, kHeadLayer, true};
  if (absl::StartsWith(n, "model.embed_tokens")) return {KernelClass::kEmbedding, kPreludeLayer, true};
  // Caches: kv_latent.L, kv_rope.L (MLA); index_k.L, index_k_scale.L (indexer).
  const size_t dot = n.rfind('.');
  int layer = 0;
  if (dot != absl::string_view::npos && absl::SimpleAtoi(n.substr(dot + 1), &layer)) {
    if (absl::StartsWith(n, "kv_")) return {KernelClass::kMlaAttention, layer, true};
    if (absl::StartsWith(n, "index_")) return {KernelClass::kIndexer, layer, true};
  }
  return {};
}

// Ops whose class is fixed by their kind, whatever weight they read.
bool IsNormOrElementwise(OpCode c) {
  switch (c) {
    case OpCode::kRmsNorm: case OpCode::kAddRmsNorm: case OpCode::kLayerNorm: case OpCode::kAdd:
    case OpCode::kSub: case OpCode::kMul: case OpCode::kDiv: case OpCode::kScale: case OpCode::kSilu:
    case OpCode::kSigmoid: case OpCode::kRelu: case OpCode::kExp: case OpCode::kSwiglu: case OpCode::kCast:
    case OpCode::kSoftmax: case OpCode::kReduce: case OpCode::kRotary:
      return true;
    default:
      return false;
  }
}

bool IsLayout(OpCode c) {
  switch (c) {
    case OpCode::kReshape: case OpCode::kTranspose: case OpCode::kBroadcast: case OpCode::kConcat:
    case OpCode::kSplit: case OpCode::kSlice: case OpCode::kGather: case OpCode::kLiteral:
    case OpCode::kPositions: case OpCode::kRopeFreqs: case OpCode::kReturn:
      return true;
    default:
      return false;
  }
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::string ShapeText(const Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.shape, ","), "]");
}

}  // namespace

std::string_view KernelClassName(KernelClass c) {
  switch (c) {
    case KernelClass::kMlaAttention: return "mla_attention";
    case KernelClass::kIndexer: return "indexer";
    case KernelClass::kMoeGate: return "moe_gate";
    case KernelClass::kRoutedExperts: return "routed_experts";
    case KernelClass::kSharedExpert: return "shared_expert";
    case KernelClass::kDenseMlp: return "dense_mlp";
    case KernelClass::kLmHead: return "lm_head";
    case KernelClass::kEmbedding: return "embedding";
    case KernelClass::kNormsElementwise: return "norms_elementwise";
    case KernelClass::kOther: return "other";
  }
  return "other";
}

int64_t QuantMatrixBytes(ir::QuantFormat format, int64_t n, int64_t k) {
  int64_t bytes = 0;
  for (const ir::QuantPart& part : ir::QuantParts(format, n, k)) {
    int64_t numel = 1;
    for (const ir::Dim& d : part.shape.dims()) numel *= d.offset();
    bytes += PlainBytes(numel, part.dtype);
  }
  return bytes;
}

int64_t OpReadBytes(const ir::Operation& op, const std::vector<const Tensor*>& operands,
                    const ir::SymbolBindings& symbols, int64_t* shared) {
  const OpCode code = op.code();
  int64_t total = 0, shared_total = 0;
  for (size_t i = 0; i < operands.size() && i < op.operands().size(); ++i) {
    const ir::Value* v = op.operand(static_cast<int>(i));
    const Tensor& t = *operands[i];
    switch (v->kind()) {
      case ir::Value::Kind::kConstant: {
        if (code == OpCode::kMoeExperts && i >= 3) break;  // the body ops count their slices
        if ((code == OpCode::kMoeDecode || code == OpCode::kMoeGrouped) && i >= 3 && i <= 5) {
          absl::flat_hash_set<int64_t> picked(operands[2]->i.begin(), operands[2]->i.end());
          total += WeightBytes(t, static_cast<int64_t>(picked.size()));
        } else if (code == OpCode::kEmbedding && i == 0 && t.shape.size() == 2) {
          total += operands[1]->numel() * PlainBytes(t.shape[1], t.dtype);
        } else {
          const int64_t b = WeightBytes(t, AllMatrices(t));
          total += b;
          if (code == OpCode::kMoeDecode && i >= 6) shared_total += b;
        }
        break;
      }
      case ir::Value::Kind::kArgument:
        // Expert slices passed to a moe_experts body; activations are float32.
        if (t.quantized || (t.dtype != ir::DType::kF32 && !t.is_int())) total += WeightBytes(t, AllMatrices(t));
        break;
      case ir::Value::Kind::kState: {
        if (code != OpCode::kCacheRead || t.shape.empty() || t.shape[0] == 0) break;
        absl::StatusOr<int64_t> rows = ir::GetDim(op.attrs(), "length").Evaluate(symbols);
        if (rows.ok()) total += *rows * PlainBytes(t.numel() / t.shape[0], t.dtype);
        break;
      }
      case ir::Value::Kind::kOpResult:
        break;
    }
  }
  if (shared != nullptr) *shared = shared_total;
  return total;
}

Profiler::Profiler() : Profiler(Options{}) {}
Profiler::Profiler(Options options) : options_(options), origin_(std::chrono::steady_clock::now()) {}

double Profiler::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
}

void Profiler::BeginPhase(std::string name) {
  phases_.push_back(Phase{std::move(name), Now(), 0});
  phase_ = static_cast<int>(phases_.size()) - 1;
}

void Profiler::EndPhase() {
  if (phase_ >= 0) phases_[phase_].end_s = Now();
  phase_ = -1;
}

void Profiler::Clear() {
  events_.clear();
  phases_.clear();
  phase_ = -1;
  open_.clear();
  current_layer_ = kPreludeLayer;
  current_class_ = KernelClass::kOther;
}

int Profiler::CountPhases(std::string_view phase) const {
  return static_cast<int>(std::count_if(phases_.begin(), phases_.end(), [&](const Phase& p) { return p.name == phase; }));
}

const Profiler::StaticInfo& Profiler::Classify(const ir::Operation& op) {
  auto it = static_.find(&op);
  if (it != static_.end()) return it->second;
  StaticInfo info;
  NamedModule module;
  for (const ir::Value* v : op.operands()) {
    if (v->kind() != ir::Value::Kind::kConstant && v->kind() != ir::Value::Kind::kState) continue;
    module = ModuleOf(v->name());
    if (module.known) break;
  }
  info.has_layer = module.known;
  info.layer = module.layer;
  info.module_cls = module.cls;
  const OpCode c = op.code();
  if (IsNormOrElementwise(c)) {
    info.cls = KernelClass::kNormsElementwise;
  } else if (module.known) {
    info.cls = module.cls;
  } else if (c == OpCode::kAttention || c == OpCode::kMlaDecodeAttention) {
    info.cls = KernelClass::kMlaAttention;
  } else if (c == OpCode::kIndexerScore || c == OpCode::kSparseTopkMask) {
    info.cls = KernelClass::kIndexer;
  } else if (c == OpCode::kMoeGate || c == OpCode::kTopk) {
    info.cls = KernelClass::kMoeGate;
  } else if (c == OpCode::kMoeExperts || c == OpCode::kMoeDecode || c == OpCode::kMoeGrouped) {
    info.cls = KernelClass::kRoutedExperts;
  } else if (IsLayout(c)) {
    info.cls = KernelClass::kOther;
  } else {
    // hadamard, fp8 round trips, ...: the module of the surrounding ops (decided at run time).
    info.inherit = true;
  }
  return static_.emplace(&op, info).first->second;
}

void Profiler::BeforeOp(const ir::Function& f, const ir::Operation& op, const std::vector<const Tensor*>& operands,
                        const ir::SymbolBindings& symbols) {
  const StaticInfo& info = Classify(op);
  OpEvent e;
  e.op = &op;
  e.function = &f;
  e.phase = phase_;
  e.depth = static_cast<int>(open_.size());
  if (!open_.empty()) {
    // Inside a called body (moe_experts): the caller's class and layer.
    const OpEvent& parent = events_[open_.back()];
    e.cls = parent.cls;
    e.layer = parent.layer;
  } else {
    if (!f.ops().empty() && f.ops().front().get() == &op) {
      current_layer_ = kPreludeLayer;
      current_class_ = KernelClass::kOther;
    }
    if (info.has_layer) {
      current_layer_ = info.layer;
      current_class_ = info.module_cls;
    }
    e.layer = current_layer_;
    e.cls = info.inherit ? current_class_ : info.cls;
  }
  e.bytes = OpReadBytes(op, operands, symbols, &e.shared_bytes);
  if (options_.record_shapes) {
    std::vector<std::string> shapes;
    for (const Tensor* t : operands) shapes.push_back(ShapeText(*t));
    e.shapes = absl::StrJoin(shapes, " ");
  }
  open_.push_back(events_.size());
  e.start_s = Now();
  events_.push_back(std::move(e));
}

void Profiler::AfterOp(const ir::Function&, const ir::Operation&) {
  const double now = Now();
  if (open_.empty()) return;
  OpEvent& e = events_[open_.back()];
  open_.pop_back();
  e.seconds = now - e.start_s;
  e.self_seconds += e.seconds;
  if (!open_.empty()) events_[open_.back()].self_seconds -= e.seconds;
}

template <typename Fn>
void Profiler::ForEventsOf(std::string_view phase, Fn fn) const {
  for (const OpEvent& e : events_) {
    if (!phase.empty() && (e.phase < 0 || phases_[e.phase].name != phase)) continue;
    fn(e);
  }
}

std::array<ProfileTotals, kNumKernelClasses> Profiler::ByClass(std::string_view phase) const {
  std::array<ProfileTotals, kNumKernelClasses> out{};
  ForEventsOf(phase, [&](const OpEvent& e) {
    ProfileTotals& t = out[static_cast<int>(e.cls)];
    double shared_seconds = 0;
    if (e.shared_bytes > 0 && e.bytes > 0) {
      // A fused shared expert: its byte share of the op's time (the op is bandwidth-bound).
      shared_seconds = e.self_seconds * static_cast<double>(e.shared_bytes) / static_cast<double>(e.bytes);
      ProfileTotals& s = out[static_cast<int>(KernelClass::kSharedExpert)];
      s.seconds += shared_seconds;
      s.bytes += e.shared_bytes;
      s.ops += 1;
    }
    t.seconds += e.self_seconds - shared_seconds;
    t.bytes += e.bytes - e.shared_bytes;
    t.ops += 1;
  });
  return out;
}

std::map<int, ProfileTotals> Profiler::ByLayer(std::string_view phase) const {
  std::map<int, ProfileTotals> out;
  ForEventsOf(phase, [&](const OpEvent& e) {
    ProfileTotals& t = out[e.layer];
    t.seconds += e.self_seconds;
    t.bytes += e.bytes;
    t.ops += 1;
  });
  return out;
}

ProfileTotals Profiler::Total(std::string_view phase) const {
  ProfileTotals t;
  ForEventsOf(phase, [&](const OpEvent& e) {
    t.seconds += e.self_seconds;
    t.bytes += e.bytes;
    t.ops += 1;
  });
  return t;
}

absl::Status Profiler::WriteChromeTrace(const std::string& path) const {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  out += "{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"interpreter\"}}";
  for (const Phase& p : phases_) {
    absl::StrAppendFormat(&out, ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"cat\":\"phase\",\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f}",
                          JsonEscape(p.name), p.start_s * 1e6, std::max(p.end_s - p.start_s, 0.0) * 1e6);
  }
  for (const OpEvent& e : events_) {
    std::string result = e.op->num_results() > 0 ? e.op->result(0)->name() : "";
    std::string weight;
    for (const ir::Value* v : e.op->operands()) {
      if (v->kind() == ir::Value::Kind::kConstant || v->kind() == ir::Value::Kind::kState) {
        weight = v->name();
        break;
      }
    }
    absl::StrAppendFormat(
        &out,
        ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"cat\":\"%s\",\"name\":\"%s\",\"ts\":%.3f,\"dur\":%.3f,"
        "\"args\":{\"node\":\"%%%s\",\"function\":\"@%s\",\"weight\":\"%s\",\"class\":\"%s\",\"layer\":%d,"
        "\"bytes\":%d,\"shape\":\"%s\",\"phase\":\"%s\"}}",
        std::string(KernelClassName(e.cls)), std::string(e.op->name()), e.start_s * 1e6, e.seconds * 1e6,
        JsonEscape(result), JsonEscape(e.function->name()), JsonEscape(weight), std::string(KernelClassName(e.cls)),
        e.layer, e.bytes, JsonEscape(e.shapes), e.phase >= 0 ? JsonEscape(phases_[e.phase].name) : "");
  }
  out += "\n]}\n";
  // A device or FIFO (`--profile /dev/stdout`) is written in place, never replaced by a rename.
  if (std::error_code ec; std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec) &&
                          !std::filesystem::is_directory(path, ec)) {
    std::ofstream f(path, std::ios::binary);
    f << out;
    f.flush();
    if (!f) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write the profile"));
    return absl::OkStatus();
  }
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write the profile"));
    f << out;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write the profile"));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write the profile: ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace dsc::runtime
