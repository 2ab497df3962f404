// A profiling OpObserver for the interpreter: times every op, counts the bytes of weights,
// scales and cache rows it reads, and attributes both to a kernel class (MLA attention,
// indexer, MoE gate, routed experts, ...) and a layer, from the checkpoint names of the op's
// weights and caches. Feeds `dsc bench --breakdown`, the full-shape projection and the Chrome
// trace of `--profile`.
#ifndef DSC_RUNTIME_PROFILER_H_
#define DSC_RUNTIME_PROFILER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "runtime/interp/op_observer.h"

namespace dsc::runtime {

enum class KernelClass : uint8_t {
  kMlaAttention,      // q/kv projections, latent cache, attention, o_proj
  kIndexer,           // indexer projections, its fp8 key cache, scores, top-k mask
  kMoeGate,           // router matmul and moe_gate
  kRoutedExperts,     // the selected experts
  kSharedExpert,      // the shared expert (inside moe_decode: its byte share of the op's time)
  kDenseMlp,          // the FFN of dense layers
  kLmHead,            // the output projection
  kEmbedding,         // the token embedding rows
  kNormsElementwise,  // norms, residual adds, rotary, activations
  kOther,             // reshapes, literals, positions, ...
};
inline constexpr int kNumKernelClasses = 10;
std::string_view KernelClassName(KernelClass c);  // "mla_attention", "routed_experts", ...

// Layer of ops before the first layer (embedding) and after the last (final norm, lm_head).
inline constexpr int kPreludeLayer = -1;
inline constexpr int kHeadLayer = -2;

// One executed op.
struct OpEvent {
  const ir::Operation* op = nullptr;
  const ir::Function* function = nullptr;
  KernelClass cls = KernelClass::kOther;
  int layer = kPreludeLayer;
  int depth = 0;               // 0 for ops of the called function, 1+ inside a moe_experts body
  int phase = -1;              // index into Profiler::phases(), -1 outside any phase
  double start_s = 0;          // since the profiler was created
  double seconds = 0;          // inclusive
  double self_seconds = 0;     // minus nested ops
  int64_t bytes = 0;           // weights, scales and cache rows read
  int64_t shared_bytes = 0;    // part of `bytes` that is the shared expert (moe_decode)
  std::string shapes;          // operand shapes, when Options::record_shapes
};

struct Phase {
  std::string name;  // e.g. "prefill", "decode"
  double start_s = 0, end_s = 0;
};

struct ProfileTotals {
  double seconds = 0;
  int64_t bytes = 0;
  int64_t ops = 0;
};

// Bytes of weights, scales and cache rows op reads, given its bound operands: packed quantized
// matrices in full (moe_decode/moe_grouped: only the experts the routing selected; moe_experts:
// none, its body ops count their expert slices), plain constants at their stored dtype
// (embedding: only the gathered rows), and for cache_read the rows read at the stored dtype.
// Sets *shared to the bytes of a fused shared expert (moe_decode operands 6-8).
int64_t OpReadBytes(const ir::Operation& op, const std::vector<const Tensor*>& operands,
                    const ir::SymbolBindings& symbols, int64_t* shared = nullptr);

// Storage bytes of an [n, k] matrix in a quantized format (all its parts).
int64_t QuantMatrixBytes(ir::QuantFormat format, int64_t n, int64_t k);

class Profiler : public OpObserver {
 public:
  struct Options {
    bool record_shapes = false;  // operand shapes per event (for traces; costs a string per op)
  };
  Profiler();
  explicit Profiler(Options options);

  // Events recorded until EndPhase carry this phase. Phases may repeat a name (one per decode
  // step); aggregations select by name.
  void BeginPhase(std::string name);
  void EndPhase();
  void Clear();

  void BeforeOp(const ir::Function& f, const ir::Operation& op, const std::vector<const Tensor*>& operands,
                const ir::SymbolBindings& symbols) override;
  void AfterOp(const ir::Function& f, const ir::Operation& op) override;

  const std::vector<OpEvent>& events() const { return events_; }
  const std::vector<Phase>& phases() const { return phases_; }
  // Number of phases named `phase`.
  int CountPhases(std::string_view phase) const;

  // Self time and bytes summed over the events of the phases named `phase` ("" = all events).
  // A moe_decode event's shared-expert bytes, and its time in proportion, go to kSharedExpert.
  std::array<ProfileTotals, kNumKernelClasses> ByClass(std::string_view phase) const;
  std::map<int, ProfileTotals> ByLayer(std::string_view phase) const;
  ProfileTotals Total(std::string_view phase) const;

  // Chrome trace event format (JSON object with "traceEvents": one "X" event per op, name =
  // op kind, args = result name, weight, class, layer, bytes, shapes; one per phase), viewable
  // in Perfetto / chrome://tracing. Written to a temporary file and renamed: atomic.
  absl::Status WriteChromeTrace(const std::string& path) const;

 private:
  struct StaticInfo {
    KernelClass cls = KernelClass::kOther;
    KernelClass module_cls = KernelClass::kOther;  // of the weight/cache it names
    int layer = kPreludeLayer;
    bool has_layer = false;  // the op names a weight or cache of a layer (or the head)
    bool inherit = false;    // no class of its own: that of the surrounding module
  };
  const StaticInfo& Classify(const ir::Operation& op);
  double Now() const;
  template <typename Fn>
  void ForEventsOf(std::string_view phase, Fn fn) const;

  Options options_;
  std::chrono::steady_clock::time_point origin_;
  std::vector<OpEvent> events_;
  std::vector<Phase> phases_;
  int phase_ = -1;
  std::vector<size_t> open_;  // indices of events whose op is running (nesting)
  int current_layer_ = kPreludeLayer;
  KernelClass current_class_ = KernelClass::kOther;
  absl::flat_hash_map<const ir::Operation*, StaticInfo> static_;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_PROFILER_H_
