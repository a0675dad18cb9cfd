#include "data/npy_dataset.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/npy.h"

namespace sinter {

namespace {

// Converts to float32 [N,C,H,W]: uint8 is scaled to [0,1] as torchvision's ToTensor does.
Tensor images_as_nchw_float(const Tensor& raw, const std::string& path) {
  if (raw.dtype() != DType::kFloat32 && raw.dtype() != DType::kUint8)
    throw InputError(cat(path, ": images must be float32 or uint8, got ", dtype_name(raw.dtype())));
  if (raw.rank() != 3 && raw.rank() != 4)
    throw InputError(
        cat(path, ": images must be [N,C,H,W] or [N,H,W], got ", shape_str(raw.shape())));
  Shape shape = raw.shape();
  if (raw.rank() == 3) shape.insert(shape.begin() + 1, 1);
  if (raw.dtype() == DType::kFloat32) {
    int64_t bad = find_nonfinite(raw);
    if (bad >= 0)
      throw InputError(cat(path, ": image value at flat index ", bad, " is not finite"));
    return raw.reshaped(shape);
  }
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
  Tensor out(DType::kFloat32, shape);
  const uint8_t* src = raw.data<uint8_t>();
  float* dst = out.data<float>();
  for (int64_t i = 0; i < raw.numel(); ++i) dst[i] = scale[src[i]];
  return out;
}

Tensor labels_as_int64(const Tensor& raw, const std::string& path) {
  if (raw.dtype() != DType::kInt64 && raw.dtype() != DType::kInt32)
    throw InputError(cat(path, ": labels must be int64 or int32, got ", dtype_name(raw.dtype())));
  if (raw.rank() != 1)
    throw InputError(cat(path, ": labels must be [N], got ", shape_str(raw.shape())));
  if (raw.dtype() == DType::kInt64) return raw;
  std::vector<int64_t> values = raw.to_int64_vector();
  return Tensor::from_vector<int64_t>(raw.shape(), values);
}

}  // namespace

Dataset load_npy_dataset(const std::string& images_path, const std::string& labels_path) {
  Tensor raw_images = read_npy(images_path);
  Tensor raw_labels = read_npy(labels_path);
  Dataset out;
  out.name = images_path;
  out.images = images_as_nchw_float(raw_images, images_path);
  out.labels = labels_as_int64(raw_labels, labels_path);
  if (out.images.dim(0) != out.labels.dim(0))
    throw InputError(cat(images_path, " has shape ", shape_str(raw_images.shape()), " but ",
                         labels_path, " has shape ", shape_str(raw_labels.shape()),
                         ": the image and label counts differ"));

  // A label near int64's limit would overflow num_classes; no real task has 2^31 classes.
  constexpr int64_t kMaxLabel = std::numeric_limits<int32_t>::max() - 1;
  const int64_t* l = out.labels.data<int64_t>();
  int64_t max_label = -1;
  for (int64_t i = 0; i < out.labels.numel(); ++i) {
    if (l[i] < 0 || l[i] > kMaxLabel)
      throw InputError(cat(labels_path, ": label ", l[i], " at index ", i,
                           l[i] < 0 ? " is negative" : " is too large"));
    max_label = std::max(max_label, l[i]);
  }
  out.num_classes = max_label + 1;
  return out;
}

}  // namespace sinter
