#pragma once
// Random single-channel images and labels for the distributed training tests: what they check
// (the same bits as one process) does not need real data.
#include <cstdint>
#include <random>

#include "data/data_loader.h"
#include "data/dataset.h"

namespace sinter {

inline Dataset random_dataset(int64_t n, int64_t size, uint32_t seed = 7) {
  Dataset d;
  d.name = "random";
  d.num_classes = 10;
  d.images = Tensor(DType::kFloat32, {n, 1, size, size});
  d.labels = Tensor(DType::kInt64, {n});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int64_t i = 0; i < d.images.numel(); ++i) d.images.data<float>()[i] = u(rng);
  for (int64_t i = 0; i < n; ++i) d.labels.data<int64_t>()[i] = static_cast<int64_t>(rng() % 10);
  return d;
}

// Shard `shard` of `shards` of a seeded loader of `batch` a shard.
inline DataLoaderOptions shard_options(int64_t batch, uint64_t seed, int shard, int shards) {
  DataLoaderOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.drop_last = true;
  o.shard = shard;
  o.shards = shards;
  return o;
}

}  // namespace sinter
