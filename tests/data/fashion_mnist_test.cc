#include "data/fashion_mnist.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "data_test_util.h"

namespace sinter {
namespace {

using testing_data::idx_bytes;
using testing_data::write_gz;
using testing_data::write_plain;

// ---- Synthetic files: the loader's checks, with no dependency on the installed dataset. ----

class FashionMnistFilesTest : public testing_data::TempDirTest {
 protected:
  // Writes images [n, side, side] with pixel i = i % 256 and the given labels.
  void write_set(const std::string& prefix, uint32_t n, uint32_t side, const std::string& labels,
                 bool gz = true) {
    std::string pixels(size_t{n} * side * side, '\0');
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i % 256);
    auto write = gz ? write_gz : write_plain;
    const std::string suffix = gz ? ".gz" : "";
    write(path(prefix + "-images-idx3-ubyte" + suffix), idx_bytes(0x08, {n, side, side}, pixels));
    write(path(prefix + "-labels-idx1-ubyte" + suffix),
          idx_bytes(0x08, {static_cast<uint32_t>(labels.size())}, labels));
  }
  std::string error_of(bool train) {
    try {
      load_fashion_mnist(dir_.string(), train);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(FashionMnistFilesTest, LoadsAndScales) {
  write_set("train", 3, 28, std::string("\x09\x00\x05", 3));
  Dataset d = load_fashion_mnist(dir_.string(), true);
  EXPECT_EQ(d.name, "fashion-mnist/train");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.images.shape(), (Shape{3, 1, 28, 28}));
  EXPECT_EQ(d.labels.to_int64_vector(), (std::vector<int64_t>{9, 0, 5}));
  const float* x = d.images.data<float>();
  for (int64_t i = 0; i < d.images.numel(); ++i)
    ASSERT_EQ(x[i], static_cast<float>(i % 256) / 255.0f) << i;
  EXPECT_NO_THROW(validate(d));
}

TEST_F(FashionMnistFilesTest, TestSplitAndUnpackedFiles) {
  write_set("t10k", 2, 28, std::string("\x01\x02", 2), /*gz=*/false);
  Dataset d = load_fashion_mnist(dir_.string(), false);
  EXPECT_EQ(d.name, "fashion-mnist/test");
  EXPECT_EQ(d.labels.to_int64_vector(), (std::vector<int64_t>{1, 2}));
}

TEST_F(FashionMnistFilesTest, MissingFilesNameThePathAndThePackage) {
  const std::string e = error_of(true);
  EXPECT_CONTAINS(e, path("train-images-idx3-ubyte.gz") + ": missing");
  EXPECT_CONTAINS(e, "dataset-fashion-mnist");
}

TEST_F(FashionMnistFilesTest, WrongImageDims) {
  write_set("train", 2, 27, std::string("\x01\x02", 2));
  const std::string e = error_of(true);
  EXPECT_CONTAINS(e, path("train-images-idx3-ubyte.gz"));
  EXPECT_CONTAINS(e, "expected images of dims [N,28,28], got [2,27,27]");
}

TEST_F(FashionMnistFilesTest, CountMismatchNamesBothFiles) {
  write_set("train", 3, 28, std::string("\x01\x02", 2));
  const std::string e = error_of(true);
  EXPECT_CONTAINS(e, path("train-images-idx3-ubyte.gz") + " holds 3 images but " +
                         path("train-labels-idx1-ubyte.gz") + " holds 2 labels");
}

TEST_F(FashionMnistFilesTest, LabelOutOfRange) {
  write_set("train", 2, 28, std::string("\x01\x0a", 2));
  EXPECT_CONTAINS(error_of(true), path("train-labels-idx1-ubyte.gz") +
                                      ": label 10 at index 1 is not a Fashion-MNIST class");
}

TEST_F(FashionMnistFilesTest, MalformedFileIsAnInputError) {
  write_set("train", 2, 28, std::string("\x01\x02", 2));
  write_gz(path("train-labels-idx1-ubyte.gz"), "garbage");
  EXPECT_CONTAINS(error_of(true), path("train-labels-idx1-ubyte.gz") + ": not an IDX file");
}

// ---- The installed dataset (Debian's dataset-fashion-mnist). ----

bool have_dataset() {
  return std::filesystem::exists(std::filesystem::path(kFashionMnistDir) /
                                 "train-images-idx3-ubyte.gz");
}

// Loaded once: decompressing the training set takes about a second.
const Dataset& real_set(bool train) {
  static const Dataset train_set = load_fashion_mnist(kFashionMnistDir, true);
  static const Dataset test_set = load_fashion_mnist(kFashionMnistDir, false);
  return train ? train_set : test_set;
}

struct PixelStats {
  double mean, stddev;
  float min, max;
};
PixelStats pixel_stats(const Tensor& images) {
  const float* x = images.data<float>();
  double sum = 0, sum_sq = 0;
  float lo = x[0], hi = x[0];
  for (int64_t i = 0; i < images.numel(); ++i) {
    sum += x[i];
    sum_sq += double{x[i]} * x[i];
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const double n = static_cast<double>(images.numel());
  return {sum / n, std::sqrt(sum_sq / n - (sum / n) * (sum / n)), lo, hi};
}

std::vector<int64_t> class_counts(const Dataset& d) {
  std::vector<int64_t> counts(10);
  for (int64_t l : d.labels.to_int64_vector()) counts.at(static_cast<size_t>(l))++;
  return counts;
}

TEST(FashionMnistReal, TrainSet) {
  if (!have_dataset()) GTEST_SKIP() << kFashionMnistDir << " is absent";
  const Dataset& d = real_set(true);
  EXPECT_EQ(d.size(), 60000);
  EXPECT_EQ(d.images.shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(d.num_classes, 10);
  std::vector<int64_t> labels = d.labels.to_int64_vector();
  EXPECT_EQ(std::vector<int64_t>(labels.begin(), labels.begin() + 10),
            (std::vector<int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(class_counts(d), std::vector<int64_t>(10, 6000));
  PixelStats s = pixel_stats(d.images);
  EXPECT_EQ(s.min, 0.0f);
  EXPECT_EQ(s.max, 1.0f);
  EXPECT_NEAR(s.mean, 0.286041, 1e-5);
  EXPECT_NEAR(s.stddev, 0.353024, 1e-5);
  EXPECT_NEAR(s.mean, kFashionMnistMean, 1e-4);
  EXPECT_NEAR(s.stddev, kFashionMnistStd, 1e-4);
  // The first image's bytes sum to 76247.
  double first = 0;
  for (int i = 0; i < 784; ++i) first += d.images.data<float>()[i] * 255.0;
  EXPECT_NEAR(first, 76247, 1e-2);
}

TEST(FashionMnistReal, TestSet) {
  if (!have_dataset()) GTEST_SKIP() << kFashionMnistDir << " is absent";
  const Dataset& d = real_set(false);
  EXPECT_EQ(d.size(), 10000);
  EXPECT_EQ(d.images.shape(), (Shape{10000, 1, 28, 28}));
  std::vector<int64_t> labels = d.labels.to_int64_vector();
  EXPECT_EQ(std::vector<int64_t>(labels.begin(), labels.begin() + 10),
            (std::vector<int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
  EXPECT_EQ(class_counts(d), std::vector<int64_t>(10, 1000));
  PixelStats s = pixel_stats(d.images);
  EXPECT_EQ(s.min, 0.0f);
  EXPECT_EQ(s.max, 1.0f);
  EXPECT_NEAR(s.mean, 0.286849, 1e-5);
}

TEST(FashionMnistReal, NormalizedTrainSetHasZeroMeanUnitStd) {
  if (!have_dataset()) GTEST_SKIP() << kFashionMnistDir << " is absent";
  Dataset d = real_set(true);
  d.images = d.images.clone();  // the cached copy stays unnormalized
  normalize(d, kFashionMnistMean, kFashionMnistStd);
  PixelStats s = pixel_stats(d.images);
  EXPECT_NEAR(s.mean, 0.0, 1e-3);
  EXPECT_NEAR(s.stddev, 1.0, 1e-3);
  EXPECT_FLOAT_EQ(s.min, -kFashionMnistMean / kFashionMnistStd);
}

}  // namespace
}  // namespace sinter
