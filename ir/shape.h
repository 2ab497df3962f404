// Shapes with static and symbolic dimensions. A dimension is a constant, a symbol (S, P, T,
// B, ...) or a sum of symbols plus a constant ("P+S", "P+1"): enough to express the KV length
// of a chunk that continues a cache. Symbols are bound to integers when a function is called.
#ifndef DSC_IR_SHAPE_H_
#define DSC_IR_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace dsc::ir {

using SymbolBindings = absl::flat_hash_map<std::string, int64_t>;

class Dim {
 public:
  Dim(int64_t value = 0) : offset_(value) {}  // NOLINT: implicit for shapes like {S, 7168}
  static Dim Symbol(std::string name);

  bool is_static() const { return symbols_.empty(); }
  // The constant part; for a static dim, its value.
  int64_t offset() const { return offset_; }
  // Sorted symbol names of the sum (a symbol may repeat: "S+S").
  const std::vector<std::string>& symbols() const { return symbols_; }

  Dim operator+(const Dim& other) const;
  bool operator==(const Dim& other) const {
    return offset_ == other.offset_ && symbols_ == other.symbols_;
  }
  bool operator!=(const Dim& other) const { return !(*this == other); }

  // "7168", "S", "P+S", "P+1".
  std::string ToString() const;
  // Value under the bindings; NotFound if a symbol is unbound.
  absl::StatusOr<int64_t> Evaluate(const SymbolBindings& bindings) const;

 private:
  int64_t offset_;
  std::vector<std::string> symbols_;
};

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<Dim> dims) : dims_(dims) {}
  explicit Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  const Dim& dim(int i) const { return dims_[i]; }
  // Negative i counts from the back (-1 is the last dim).
  const Dim& at(int i) const { return dims_[i < 0 ? i + rank() : i]; }
  const std::vector<Dim>& dims() const { return dims_; }
  bool is_static() const;
  // Product of static dims (1 for rank 0). Only valid if is_static().
  int64_t num_elements() const;

  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  bool operator!=(const Shape& other) const { return !(*this == other); }

  // "[S,7168]", "[]".
  std::string ToString() const;
  absl::StatusOr<std::vector<int64_t>> Evaluate(const SymbolBindings& bindings) const;

 private:
  std::vector<Dim> dims_;
};

}  // namespace dsc::ir

#endif  // DSC_IR_SHAPE_H_
