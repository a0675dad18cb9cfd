#pragma once
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

namespace sinter {

// A dense row-major tensor. Owns its buffer (64-byte aligned, shared between copies) or views
// memory owned by someone else, such as the executor's arena. Copies are shallow.
class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled buffer.
  Tensor(DType dtype, Shape shape);
  // Non-owning view of `data`; the caller keeps it alive.
  static Tensor view(DType dtype, Shape shape, void* data);
  // View of `data` that keeps `owner` (e.g. a mapped file) alive while any copy of it lives.
  static Tensor view(DType dtype, Shape shape, void* data, std::shared_ptr<std::byte> owner);
  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    SINTER_CHECK(static_cast<size_t>(t.numel()) == values.size(), "value count ", values.size(),
                 " does not match shape ", shape_str(t.shape()));
    if constexpr (std::is_same_v<T, bool>) {  // vector<bool> is packed: copy one by one
      for (size_t i = 0; i < values.size(); ++i) static_cast<bool*>(t.raw())[i] = values[i];
    } else if (!values.empty()) {
      std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
    }
    return t;
  }
  template <class T>
  static Tensor scalar(T v) {
    return from_vector<T>({}, {v});
  }

  bool defined() const { return data_ != nullptr || numel_ == 0; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T>
  T* data() {
    SINTER_CHECK(dtype_of<T>() == storage_dtype(dtype_), "tensor holds ", dtype_name(dtype_),
                 ", not ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* data() const {
    return const_cast<Tensor*>(this)->data<T>();
  }

  // Same buffer, another shape with the same element count.
  Tensor reshaped(Shape shape) const;
  // Deep copy into a fresh owning buffer.
  Tensor clone() const;
  // Values as int64 whatever the integer dtype (for shape-like tensors).
  std::vector<int64_t> to_int64_vector() const;
  // Values converted to double (for printing and comparisons in tests).
  double value_as_double(int64_t i) const;

 private:
  std::shared_ptr<std::byte> holder_;
  void* data_ = nullptr;
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  int64_t numel_ = 0;
};

// Flat index of the first NaN or infinity in a floating-point tensor, or -1 (also for integer
// tensors, which cannot hold one).
int64_t find_nonfinite(const Tensor& t);

}  // namespace sinter
