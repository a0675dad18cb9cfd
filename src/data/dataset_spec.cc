#include "data/dataset_spec.h"

#include <cstring>
#include <vector>

#include "core/error.h"
#include "data/fashion_mnist.h"
#include "data/npy_dataset.h"

namespace sinter {

namespace {

bool is_fashion_mnist(const std::string& spec) {
  return spec == "fashion-mnist" || spec.rfind("fashion-mnist:", 0) == 0;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t end; (end = s.find(sep, begin)) != std::string::npos; begin = end + 1)
    parts.push_back(s.substr(begin, end - begin));
  parts.push_back(s.substr(begin));
  return parts;
}

}  // namespace

Dataset load_dataset(const std::string& spec, bool train) {
  if (is_fashion_mnist(spec)) {
    const std::string dir = spec == "fashion-mnist" ? kFashionMnistDir : spec.substr(14);
    Dataset d = load_fashion_mnist(dir, train);
    normalize(d, kFashionMnistMean, kFashionMnistStd);
    return d;
  }
  if (spec.rfind("npy:", 0) == 0) {
    const std::vector<std::string> files = split(spec.substr(4), ',');
    if (files.size() != 2 && files.size() != 4)
      throw InputError(cat("--data '", spec, "': npy needs 2 or 4 comma-separated .npy files"));
    const size_t first = !train && files.size() == 4 ? 2 : 0;
    return load_npy_dataset(files[first], files[first + 1]);
  }
  throw InputError(cat("--data '", spec,
                       "' is not a known dataset (fashion-mnist, fashion-mnist:DIR, npy:...)"));
}

std::vector<std::string> class_names(const std::string& spec, int64_t num_classes) {
  if (is_fashion_mnist(spec) && num_classes == 10)
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  std::vector<std::string> names;
  for (int64_t c = 0; c < num_classes; ++c) names.push_back(std::to_string(c));
  return names;
}

void limit_dataset(Dataset& data, int64_t limit) {
  if (limit <= 0 || limit >= data.size()) return;
  Shape shape = data.images.shape();
  const int64_t sample = data.images.numel() / shape[0];
  shape[0] = limit;
  Tensor images(DType::kFloat32, shape);
  std::memcpy(images.data<float>(), data.images.data<float>(),
              static_cast<size_t>(limit * sample) * sizeof(float));
  Tensor labels(DType::kInt64, {limit});
  std::memcpy(labels.data<int64_t>(), data.labels.data<int64_t>(),
              static_cast<size_t>(limit) * sizeof(int64_t));
  data.images = std::move(images);
  data.labels = std::move(labels);
}

}  // namespace sinter
