#pragma once
// For the tests of the workflows that load their own data by name (prune_model, quantize_model):
// the squares of prune_training_util.h saved as .npy files in a fresh directory, removed after.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/npy.h"
#include "prune_training_util.h"

namespace sinter::test {

class SquaresOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("sinter_workflow_test_") + info->test_suite_name() + "_" + info->name() +
            "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const Dataset train = squares(192, 1), test = squares(96, 2);
    write_npy(path("train_x.npy"), train.images);
    write_npy(path("train_y.npy"), train.labels);
    write_npy(path("test_x.npy"), test.images);
    write_npy(path("test_y.npy"), test.labels);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // The dataset spec (data/dataset_spec.h) of the files: 192 training and 96 test images.
  std::string spec() const {
    return "npy:" + path("train_x.npy") + "," + path("train_y.npy") + "," + path("test_x.npy") +
           "," + path("test_y.npy");
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace sinter::test
