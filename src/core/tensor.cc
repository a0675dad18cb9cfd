#include "core/tensor.h"

#include <cmath>
#include <cstdlib>
#include <functional>

#include "core/checked_math.h"
#include "core/memory_limit.h"

namespace sinter {

namespace {
// Zero-filled and counted against the memory limit; `what` names it when the limit refuses it.
std::shared_ptr<std::byte> allocate_aligned(int64_t bytes,
                                            const std::function<std::string()>& what) {
  const int64_t rounded = std::max<int64_t>(checked_add(bytes, 63) / 64 * 64, 64);
  if (rounded > memory_limit() - memory_in_use()) check_memory_available(rounded, what());
  count_allocation(rounded, "a tensor");
  void* p = std::aligned_alloc(64, static_cast<size_t>(rounded));
  if (!p) {
    count_release(rounded);
    throw MemoryLimitError(
        cat(what(), " needs ", describe_bytes(rounded), ", which the system cannot allocate"));
  }
  std::memset(p, 0, static_cast<size_t>(rounded));
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [rounded](std::byte* q) {
    std::free(q);
    count_release(rounded);
  });
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) throw Error(cat("cannot allocate a tensor of shape ", shape_str(shape_)));
  numel_ = shape_numel(shape_);
  holder_ = allocate_aligned(checked_bytes(numel_, static_cast<int64_t>(dtype_size(dtype_))), [&] {
    return cat("a ", dtype_name(dtype_), " tensor of shape ", shape_str(shape_));
  });
  data_ = holder_.get();
}

Tensor Tensor::view(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = shape_numel(t.shape_);
  t.data_ = data;
  return t;
}

Tensor Tensor::view(DType dtype, Shape shape, void* data, std::shared_ptr<std::byte> owner) {
  Tensor t = view(dtype, std::move(shape), data);
  t.holder_ = std::move(owner);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  SINTER_CHECK(shape_numel(shape) == numel_, "cannot reshape ", shape_str(shape_), " to ",
               shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

double Tensor::value_as_double(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32:
      return static_cast<const float*>(data_)[i];
    case DType::kFloat64:
      return static_cast<const double*>(data_)[i];
    case DType::kInt8:
    case DType::kInt4:
      return static_cast<const int8_t*>(data_)[i];
    case DType::kUint8:
    case DType::kUint4:
      return static_cast<const uint8_t*>(data_)[i];
    case DType::kInt16:
      return static_cast<const int16_t*>(data_)[i];
    case DType::kInt32:
      return static_cast<const int32_t*>(data_)[i];
    case DType::kInt64:
      return static_cast<double>(static_cast<const int64_t*>(data_)[i]);
    case DType::kBool:
      return static_cast<const bool*>(data_)[i] ? 1.0 : 0.0;
    case DType::kFloat16:
      break;
  }
  throw UnsupportedError(cat("cannot read ", dtype_name(dtype_), " values"));
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel_));
  if (dtype_ == DType::kInt64) {
    if (numel_) std::memcpy(v.data(), data_, nbytes());
    return v;
  }
  if (dtype_ == DType::kFloat32 || dtype_ == DType::kFloat64 || dtype_ == DType::kFloat16)
    throw InputError(cat("expected an integer tensor, got ", dtype_name(dtype_)));
  for (int64_t i = 0; i < numel_; ++i) v[i] = static_cast<int64_t>(value_as_double(i));
  return v;
}

int64_t find_nonfinite(const Tensor& t) {
  if (t.dtype() == DType::kFloat32) {
    const float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i)
      if (!std::isfinite(p[i])) return i;
  } else if (t.dtype() == DType::kFloat64) {
    const double* p = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i)
      if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

}  // namespace sinter
