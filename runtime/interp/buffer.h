// A tensor's element storage: owned heap memory that grows like std::vector, or a borrowed
// region of an executor's arena (the memory plan's slot for the value), so that running a
// planned function allocates nothing for its intermediates.
#ifndef DSC_RUNTIME_INTERP_BUFFER_H_
#define DSC_RUNTIME_INTERP_BUFFER_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace dsc::runtime {

template <typename T>
class Buffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  Buffer() = default;
  Buffer(const std::vector<T>& v) { assign(v.begin(), v.end()); }  // NOLINT: vector-like
  Buffer(const Buffer& other) { assign(other.begin(), other.end()); }
  Buffer(Buffer&& other) noexcept { Steal(other); }
  Buffer& operator=(const Buffer& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      Release();
      Steal(other);
    }
    return *this;
  }
  Buffer& operator=(const std::vector<T>& v) {
    assign(v.begin(), v.end());
    return *this;
  }
  ~Buffer() { Release(); }

  // `n` elements (zeroed) at `storage`, which holds `capacity` elements and outlives this
  // buffer's use of it; growing past `capacity` moves the elements to owned memory.
  static Buffer Borrowed(T* storage, size_t capacity, size_t n) {
    Buffer b;
    b.data_ = storage;
    b.capacity_ = capacity;
    b.owned_ = false;
    b.resize(n);
    return b;
  }
  // The n elements at `storage` as they are (a view: never freed, never zeroed).
  static Buffer View(T* storage, size_t n) {
    Buffer b;
    b.data_ = storage;
    b.size_ = b.capacity_ = n;
    b.owned_ = false;
    return b;
  }
  bool borrowed() const { return !owned_; }
  // Heap allocations made by all buffers of T so far (tests check that planned runs make none).
  static int64_t allocations() { return allocations_.load(std::memory_order_relaxed); }
  std::vector<T> ToVector() const { return std::vector<T>(begin(), end()); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  void clear() { size_ = 0; }
  // Takes n ≤ capacity() elements as they are in memory (written through data() already).
  void set_size(size_t n) { size_ = std::min(n, capacity_); }
  void reserve(size_t n) {
    if (n > capacity_) Reallocate(n);
  }
  void resize(size_t n, T value = T()) {
    if (n > capacity_) Reallocate(std::max(n, 2 * capacity_));
    std::fill(data_ + std::min(n, size_), data_ + n, value);
    size_ = n;
  }
  void assign(size_t n, T value) {
    size_ = 0;
    resize(n, value);
  }
  template <typename It>
  void assign(It first, It last) {
    size_ = 0;
    insert(end(), first, last);
  }
  // Appends [first, last) (insertion only at the end, as the interpreter uses it).
  template <typename It>
  void insert(T* /*at_end*/, It first, It last) {
    const size_t n = static_cast<size_t>(std::distance(first, last));
    if (size_ + n > capacity_) Reallocate(std::max(size_ + n, 2 * capacity_));
    std::copy(first, last, data_ + size_);
    size_ += n;
  }
  void push_back(T v) {
    if (size_ == capacity_) Reallocate(std::max<size_t>(16, 2 * capacity_));
    data_[size_++] = v;
  }

  friend bool operator==(const Buffer& a, const Buffer& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const Buffer& a, const std::vector<T>& b) {
    return a.size_ == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  void Reallocate(size_t capacity) {
    allocations_.fetch_add(1, std::memory_order_relaxed);
    T* fresh = std::allocator<T>().allocate(capacity);
    if (size_ > 0) std::memcpy(fresh, data_, size_ * sizeof(T));
    Release();
    data_ = fresh;
    capacity_ = capacity;
    owned_ = true;
  }
  void Release() {
    if (owned_ && data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
    owned_ = true;
  }
  void Steal(Buffer& other) {
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    owned_ = other.owned_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
    other.owned_ = true;
  }

  static inline std::atomic<int64_t> allocations_{0};

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool owned_ = true;  // false: data_ is an arena region this buffer must not free
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_BUFFER_H_
