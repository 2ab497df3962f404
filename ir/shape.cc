// Symbolic dimension arithmetic and shape printing.
#include "ir/shape.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::ir {

Dim Dim::Symbol(std::string name) {
  Dim d(0);
  d.symbols_.push_back(std::move(name));
  return d;
}

Dim Dim::operator+(const Dim& other) const {
  Dim d(offset_ + other.offset_);
  d.symbols_ = symbols_;
  d.symbols_.insert(d.symbols_.end(), other.symbols_.begin(), other.symbols_.end());
  std::sort(d.symbols_.begin(), d.symbols_.end());
  return d;
}

std::string Dim::ToString() const {
  if (symbols_.empty()) return absl::StrCat(offset_);
  std::string s = absl::StrJoin(symbols_, "+");
  if (offset_ > 0) absl::StrAppend(&s, "+", offset_);
  if (offset_ < 0) absl::StrAppend(&s, offset_);
  return s;
}

absl::StatusOr<int64_t> Dim::Evaluate(const SymbolBindings& bindings) const {
  int64_t v = offset_;
  for (const auto& s : symbols_) {
    auto it = bindings.find(s);
    if (it == bindings.end()) {
      return absl::NotFoundError(absl::StrCat("symbol '", s, "' is not bound"));
    }
    v += it->second;
  }
  return v;
}

bool Shape::is_static() const {
  return std::all_of(dims_.begin(), dims_.end(), [](const Dim& d) { return d.is_static(); });
}

int64_t Shape::num_elements() const {
  int64_t n = 1;
  for (const auto& d : dims_) n *= d.offset();
  return n;
}

std::string Shape::ToString() const {
  return absl::StrCat(
      "[", absl::StrJoin(dims_, ",", [](std::string* out, const Dim& d) { out->append(d.ToString()); }),
      "]");
}

absl::StatusOr<std::vector<int64_t>> Shape::Evaluate(const SymbolBindings& bindings) const {
  std::vector<int64_t> out;
  out.reserve(dims_.size());
  for (const auto& d : dims_) {
    absl::StatusOr<int64_t> v = d.Evaluate(bindings);
    if (!v.ok()) return v.status();
    if (*v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension ", d.ToString(), " evaluates to ", *v, " < 0"));
    }
    out.push_back(*v);
  }
  return out;
}

}  // namespace dsc::ir
