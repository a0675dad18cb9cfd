#pragma once
// Batches from a Dataset for training: a seeded order per epoch, optional random crop and flip,
// and a background thread that prepares the next batches while the trainer works on this one.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "data/dataset.h"

namespace sinter {

struct Batch {
  Tensor images;  // float32 [size, C, H, W]
  Tensor labels;  // int64 [size]
  int64_t size = 0;
};

struct DataLoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  uint64_t seed = 0;
  // Skip the last batch when it is smaller than batch_size.
  bool drop_last = false;
  // Random crop: pad every side by this many pixels, then cut an HxW window at a random offset
  // (torchvision's RandomCrop(size, padding)). 0 turns it off.
  int64_t crop_padding = 0;
  // The value that enters at the borders. 0 is black for images in [0,1]; after normalize() use
  // -mean/std to get the black border that padding before normalization gives.
  float pad_value = 0.0f;
  // Mirror left-right with probability 1/2, after the crop.
  bool horizontal_flip = false;
  // Optional extra step, run on the prefetch thread after crop and flip. `rng` is the batch's own
  // generator (seeded by seed, epoch and batch index), so random transforms stay reproducible.
  // An exception it throws is rethrown from next().
  std::function<void(Batch& batch, std::mt19937_64& rng)> transform;
  // Data parallelism: each of `shards` loaders (one a rank) takes its slice of every global batch
  // of batch_size * shards samples in the seed's order, so no sample is seen twice in an epoch
  // and the union is what one loader of the global batch would give. Needs drop_last.
  int64_t shard = 0;
  int64_t shards = 1;
};

// One consumer thread calls start_epoch() and next(); one prefetch thread builds up to two
// batches ahead of it. Everything random derives from options.seed alone: the order from (seed,
// epoch), the augmentation from (seed, epoch, batch index), drawn from std::mt19937_64 whose
// output the standard fixes. So a seed gives bit-identical batches on every run, standard
// library and thread timing.
class DataLoader {
 public:
  // Shares the dataset's buffers (Tensor copies are shallow); do not modify them while epochs run.
  // Throws InputError when the dataset or the options are invalid.
  DataLoader(Dataset dataset, DataLoaderOptions options);
  // Stops the prefetch thread, even when it is waiting for the consumer to take a batch.
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  const Dataset& dataset() const { return dataset_; }

  // Begins epoch `epoch` at batch `first_batch` (a resumed run skips what it already did),
  // abandoning whatever was left of the previous epoch. The skipped batches are never built.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // Moves the next batch into `batch` and returns true, or returns false once the epoch is done.
  // Blocks while the batch is being prepared. An exception thrown while preparing a batch is
  // rethrown here (every time next() reaches it, until the next start_epoch()).
  bool next(Batch& batch);

 private:
  void produce(int64_t epoch, int64_t first_batch, std::vector<int64_t> order);
  Batch make_batch(int64_t epoch, int64_t index, const std::vector<int64_t>& order) const;
  void stop();

  Dataset dataset_;
  DataLoaderOptions options_;
  bool started_ = false;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;  // a batch was queued or taken, or the worker must stop
  std::deque<Batch> queue_;
  bool cancel_ = false;
  bool done_ = false;
  std::exception_ptr error_;
};

}  // namespace sinter
