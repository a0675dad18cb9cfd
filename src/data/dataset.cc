#include "data/dataset.h"

#include <cmath>

#include "core/error.h"

namespace sinter {

void validate(const Dataset& dataset) {
  const std::string& name = dataset.name;
  const Tensor& images = dataset.images;
  const Tensor& labels = dataset.labels;
  if (images.dtype() != DType::kFloat32 || images.rank() != 4)
    throw InputError(cat(name, ": images must be float32 [N,C,H,W], got ",
                         dtype_name(images.dtype()), " ", shape_str(images.shape())));
  if (labels.dtype() != DType::kInt64 || labels.rank() != 1)
    throw InputError(cat(name, ": labels must be int64 [N], got ", dtype_name(labels.dtype()), " ",
                         shape_str(labels.shape())));
  if (images.dim(0) != labels.dim(0))
    throw InputError(cat(name, ": ", images.dim(0), " images but ", labels.dim(0), " labels"));
  const int64_t* l = labels.data<int64_t>();
  for (int64_t i = 0; i < labels.numel(); ++i)
    if (l[i] < 0 || l[i] >= dataset.num_classes)
      throw InputError(cat(name, ": label ", l[i], " at index ", i, " is outside [0, ",
                           dataset.num_classes, ")"));
}

void normalize(Dataset& dataset, float mean, float std) {
  if (!(std > 0) || !std::isfinite(std) || !std::isfinite(mean))
    throw InputError(cat(dataset.name, ": cannot normalize with mean ", mean, " and std ", std,
                         " (std must be positive and both finite)"));
  if (dataset.images.dtype() != DType::kFloat32)
    throw InputError(cat(dataset.name, ": cannot normalize ", dtype_name(dataset.images.dtype()),
                         " images; they must be float32"));
  float* x = dataset.images.data<float>();
  // Multiplying by 1/std would differ from PyTorch's Normalize in the last bit; divide instead.
  for (int64_t i = 0; i < dataset.images.numel(); ++i) x[i] = (x[i] - mean) / std;
}

}  // namespace sinter
