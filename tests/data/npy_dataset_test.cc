#include "data/npy_dataset.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"
#include "core/npy.h"
#include "data_test_util.h"

namespace sinter {
namespace {

class NpyDatasetTest : public testing_data::TempDirTest {
 protected:
  std::string write(const std::string& name, const Tensor& t) {
    write_npy(path(name), t);
    return path(name);
  }
  std::string error_of(const std::string& images, const std::string& labels) {
    try {
      load_npy_dataset(images, labels);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(NpyDatasetTest, Float32NchwAndInt64RoundTrip) {
  std::vector<float> values(3 * 2 * 2 * 2);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * static_cast<float>(i) - 1.0f;
  Tensor images = Tensor::from_vector<float>({3, 2, 2, 2}, values);
  Tensor labels = Tensor::from_vector<int64_t>({3}, {4, 0, 2});
  Dataset d = load_npy_dataset(write("x.npy", images), write("y.npy", labels));
  EXPECT_EQ(d.name, path("x.npy"));
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.num_classes, 5);
  EXPECT_EQ(d.images.shape(), (Shape{3, 2, 2, 2}));
  EXPECT_EQ(d.images.dtype(), DType::kFloat32);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(d.images.data<float>()[i], values[i]) << i;
  EXPECT_EQ(d.labels.to_int64_vector(), (std::vector<int64_t>{4, 0, 2}));
  EXPECT_NO_THROW(validate(d));
}

TEST_F(NpyDatasetTest, Uint8NhwAndInt32) {
  Tensor images = Tensor::from_vector<uint8_t>({2, 1, 3}, {0, 51, 255, 1, 2, 3});
  Tensor labels = Tensor::from_vector<int32_t>({2}, {1, 1});
  Dataset d = load_npy_dataset(write("x.npy", images), write("y.npy", labels));
  EXPECT_EQ(d.images.shape(), (Shape{2, 1, 1, 3}));
  EXPECT_EQ(d.labels.dtype(), DType::kInt64);
  EXPECT_EQ(d.num_classes, 2);
  const float* x = d.images.data<float>();
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 0.2f);
  EXPECT_EQ(x[2], 1.0f);
  EXPECT_EQ(x[5], 3.0f / 255.0f);
}

TEST_F(NpyDatasetTest, Float32NhwGetsOneChannel) {
  Tensor images = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 3, 4});
  Dataset d = load_npy_dataset(write("x.npy", images),
                               write("y.npy", Tensor::from_vector<int64_t>({1}, {0})));
  EXPECT_EQ(d.images.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(d.num_classes, 1);
}

TEST_F(NpyDatasetTest, CountMismatchNamesBothFilesAndShapes) {
  std::string x = write("x.npy", Tensor(DType::kFloat32, {4, 1, 2, 2}));
  std::string y = write("y.npy", Tensor(DType::kInt64, {3}));
  EXPECT_CONTAINS(error_of(x, y), x + " has shape [4,1,2,2] but " + y +
                                      " has shape [3]: the image and label counts differ");
}

TEST_F(NpyDatasetTest, RejectsBadLabels) {
  std::string x = write("x.npy", Tensor(DType::kFloat32, {2, 1, 1, 1}));
  std::string neg = write("neg.npy", Tensor::from_vector<int64_t>({2}, {0, -3}));
  EXPECT_CONTAINS(error_of(x, neg), neg + ": label -3 at index 1 is negative");
  std::string big =
      write("big.npy", Tensor::from_vector<int64_t>({2}, {std::numeric_limits<int64_t>::max(), 0}));
  EXPECT_CONTAINS(error_of(x, big), big + ": label 9223372036854775807 at index 0 is too large");
  std::string f = write("f.npy", Tensor(DType::kFloat32, {2}));
  EXPECT_CONTAINS(error_of(x, f), f + ": labels must be int64 or int32, got float32");
  std::string col = write("col.npy", Tensor(DType::kInt64, {2, 1}));
  EXPECT_CONTAINS(error_of(x, col), col + ": labels must be [N], got [2,1]");
}

TEST_F(NpyDatasetTest, RejectsBadImages) {
  std::string y = write("y.npy", Tensor(DType::kInt64, {2}));
  std::string i16 = write("i16.npy", Tensor(DType::kInt16, {2, 1, 1, 1}));
  EXPECT_CONTAINS(error_of(i16, y), i16 + ": images must be float32 or uint8, got int16");
  std::string flat = write("flat.npy", Tensor(DType::kFloat32, {2, 4}));
  EXPECT_CONTAINS(error_of(flat, y), flat + ": images must be [N,C,H,W] or [N,H,W], got [2,4]");
  std::string nan = write(
      "nan.npy",
      Tensor::from_vector<float>({2, 1, 1, 1}, {0.0f, std::numeric_limits<float>::quiet_NaN()}));
  EXPECT_CONTAINS(error_of(nan, y), nan + ": image value at flat index 1 is not finite");
}

TEST_F(NpyDatasetTest, MissingFileIsNamed) {
  std::string y = write("y.npy", Tensor(DType::kInt64, {2}));
  EXPECT_CONTAINS(error_of(path("none.npy"), y), path("none.npy"));
  std::string x = write("x.npy", Tensor(DType::kFloat32, {2, 1, 1, 1}));
  EXPECT_CONTAINS(error_of(x, path("none.npy")), path("none.npy"));
}

}  // namespace
}  // namespace sinter
