#include "compress/mask.h"

#include <utility>

#include "core/error.h"

namespace sinter {

Mask::Mask(Shape shape, std::vector<uint8_t> keep) {
  if (shape_numel(shape) != static_cast<int64_t>(keep.size()))
    throw InputError(cat("mask: ", keep.size(), " flags do not fill shape ", shape_str(shape)));
  for (uint8_t k : keep) {
    if (k > 1) throw InputError(cat("mask: flags must be 0 or 1, got ", static_cast<int>(k)));
    count_kept_ += k;
  }
  values_ = Tensor::from_vector<uint8_t>(std::move(shape), keep);
}

Mask Mask::of_nonzeros(const Tensor& w) {
  if (w.dtype() != DType::kFloat32)
    throw InputError(cat("mask: weights must be float32, got ", dtype_name(w.dtype())));
  const float* x = w.data<float>();
  std::vector<uint8_t> keep(static_cast<size_t>(w.numel()));
  for (size_t i = 0; i < keep.size(); ++i) keep[i] = x[i] != 0.0f;
  return Mask(w.shape(), std::move(keep));
}

double Mask::sparsity() const {
  if (numel() == 0) return 0.0;
  return 1.0 - static_cast<double>(count_kept_) / static_cast<double>(numel());
}

void Mask::apply(Tensor& w) const {
  if (w.dtype() != DType::kFloat32)
    throw InputError(cat("mask: weights must be float32, got ", dtype_name(w.dtype())));
  if (w.shape() != shape())
    throw InputError(cat("mask of shape ", shape_str(shape()), " cannot apply to weights of shape ",
                         shape_str(w.shape())));
  float* x = w.data<float>();
  const uint8_t* k = values_.data<uint8_t>();
  // Assign rather than multiply: a pruned entry becomes +0 even where it held an infinity.
  for (int64_t i = 0; i < numel(); ++i)
    if (!k[i]) x[i] = 0.0f;
}

Tensor Mask::applied_to(const Tensor& w) const {
  Tensor out = w.clone();
  apply(out);
  return out;
}

}  // namespace sinter
