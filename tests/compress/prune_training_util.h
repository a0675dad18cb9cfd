#pragma once
// A small model and synthetic data for the tests that prune while training (ADMM, masked
// retraining, gradual pruning): quick to train, and easy enough that a dense model learns it
// fully.
#include <cstdint>
#include <random>
#include <string>

#include "data/data_loader.h"
#include "data/dataset.h"
#include "train/model_zoo.h"
#include "train/trainer.h"

namespace sinter::test {

inline constexpr int64_t kPruneClasses = 3;
inline constexpr int64_t kPruneImageSize = 8;

// Class c is a bright 3x3 square at one of three places on the diagonal, under noise.
inline Dataset squares(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "squares";
  d.num_classes = kPruneClasses;
  d.images = Tensor(DType::kFloat32, {n, 1, kPruneImageSize, kPruneImageSize});
  d.labels = Tensor(DType::kInt64, {n});
  std::mt19937_64 rng(seed);
  const int64_t pixels = kPruneImageSize * kPruneImageSize;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % kPruneClasses;
    d.labels.data<int64_t>()[i] = c;
    float* img = d.images.data<float>() + i * pixels;
    // Uniform noise in [-0.5, 0.5) from the raw draws, the same with every standard library.
    for (int64_t p = 0; p < pixels; ++p) img[p] = static_cast<float>(rng() >> 40) * 0x1p-24f - 0.5f;
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t x = 0; x < 3; ++x)
        img[(1 + y + c * 2) * kPruneImageSize + 1 + x + c * 2] += 1.5f;
  }
  return d;
}

inline Graph small_model(const std::string& name) {
  ModelZooOptions o;
  o.num_classes = kPruneClasses;
  o.image_size = kPruneImageSize;
  return build_zoo_model(name, o);
}

inline TrainerOptions small_trainer(int64_t total_steps) {
  TrainerOptions o;
  o.batch_size = 16;
  o.threads = 1;
  o.lr = 0.05f;
  o.total_steps = total_steps;
  return o;
}

inline DataLoaderOptions small_loader() {
  DataLoaderOptions o;
  o.batch_size = 16;
  o.seed = 5;
  o.drop_last = true;
  return o;
}

// The first batch of an epoch, for tests that take single steps.
inline Batch first_batch(const Dataset& data, int64_t epoch = 0) {
  DataLoader loader(data, small_loader());
  loader.start_epoch(epoch);
  Batch b;
  loader.next(b);
  return b;
}

}  // namespace sinter::test
