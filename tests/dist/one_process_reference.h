#pragma once
// What the distributed tests compare against: one process that trains `model` by accumulating,
// each step, the batches of `shards` loaders (shard q's loader from `loader_options(q)`), as
// accumulated_step does, over as many epochs as `steps` needs.
#include <functional>
#include <memory>
#include <vector>

#include "data/data_loader.h"
#include "dist/data_parallel.h"
#include "train/trainer.h"

namespace sinter {

inline Graph train_one_process(const Graph& model, const TrainerOptions& options,
                               const Dataset& data,
                               const std::function<DataLoaderOptions(int)>& loader_options,
                               int shards, int64_t steps) {
  Trainer single(model, options);
  std::vector<std::unique_ptr<DataLoader>> loaders;
  for (int q = 0; q < shards; ++q)
    loaders.push_back(std::make_unique<DataLoader>(data, loader_options(q)));
  std::vector<Batch> batches(static_cast<size_t>(shards));
  for (int64_t step = 0, epoch = 0; step < steps; ++epoch) {
    for (auto& loader : loaders) loader->start_epoch(epoch);
    for (; step < steps; ++step) {
      bool more = true;
      for (int q = 0; q < shards; ++q) more = more && loaders[q]->next(batches[q]);
      if (!more) break;
      accumulated_step(single, batches);
    }
  }
  return single.model();
}

}  // namespace sinter
