#include "data/fashion_mnist.h"

#include <filesystem>

#include "core/error.h"
#include "data/idx_file.h"

namespace sinter {

namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

// The .gz name as distributed, or the unpacked name when only that exists.
std::string find_file(const std::string& dir, const std::string& stem) {
  std::filesystem::path gz = std::filesystem::path(dir) / (stem + ".gz");
  std::filesystem::path plain = std::filesystem::path(dir) / stem;
  std::error_code ec;
  if (std::filesystem::exists(gz, ec)) return gz.string();
  if (std::filesystem::exists(plain, ec)) return plain.string();
  throw InputError(cat(gz.string(), ": missing (nor is there an unpacked ", stem,
                       "); install Debian's dataset-fashion-mnist or pass the directory that "
                       "holds the Fashion-MNIST files"));
}

}  // namespace

Dataset load_fashion_mnist(const std::string& dir, bool train) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  IdxFile images = read_idx(images_path);
  IdxFile labels = read_idx(labels_path);

  if (images.dims.size() != 3 || images.dims[1] != kSide || images.dims[2] != kSide)
    throw InputError(
        cat(images_path, ": expected images of dims [N,28,28], got ", shape_str(images.dims)));
  if (labels.dims.size() != 1)
    throw InputError(
        cat(labels_path, ": expected labels of dims [N], got ", shape_str(labels.dims)));
  const int64_t n = images.dims[0];
  if (labels.dims[0] != n)
    throw InputError(cat(images_path, " holds ", n, " images but ", labels_path, " holds ",
                         labels.dims[0], " labels"));

  Dataset out;
  out.name = cat("fashion-mnist/", train ? "train" : "test");
  out.num_classes = kClasses;
  out.labels = Tensor(DType::kInt64, {n});
  int64_t* l = out.labels.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (labels.bytes[i] >= kClasses)
      throw InputError(cat(labels_path, ": label ", labels.bytes[i], " at index ", i,
                           " is not a Fashion-MNIST class (0..9)"));
    l[i] = labels.bytes[i];
  }

  // A table keeps the conversion exact and matching torchvision: byte / 255 in float.
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
  out.images = Tensor(DType::kFloat32, {n, 1, kSide, kSide});
  float* x = out.images.data<float>();
  for (size_t i = 0; i < images.bytes.size(); ++i) x[i] = scale[images.bytes[i]];
  return out;
}

}  // namespace sinter
