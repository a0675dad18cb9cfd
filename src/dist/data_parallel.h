#pragma once
// Data-parallel training, DDP's scheme: every rank holds the whole model and trains on its own
// slice of each global batch (DataLoaderOptions::shard), and the gradients are averaged over the
// ranks before every update, so every rank makes the same update from the same state.
// The gradients go in buckets in the order the backward pass produces them (rank 0's plan's);
// with overlap, a communication thread reduces each bucket as soon as its gradients are final,
// while the backward pass computes the rest, the buckets in a fixed order on every rank.
// BatchNorm normalises with each rank's own batch statistics, as DDP does; the running
// statistics that inference uses are rank 0's (DDP broadcasts rank 0's buffers), and only rank 0
// evaluates and saves the model.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dist/communicator.h"
#include "dist/compressor.h"
#include "dist/reduction_thread.h"
#include "dist/ring_allreduce.h"
#include "train/trainer.h"

namespace sinter {

// The ring is the default: under a deadline MPI's all-reduce must be the non-blocking one, which
// Open MPI runs on its generic schedule (libnbc), not its tuned one; polled, it took 1.75-1.95x
// the ring's time at 1-16 MB on two ranks here (docs/DISTRIBUTED.md).
enum class GradientReduction {
  kRing,       // sinter's ring all-reduce
  kMpi,        // MPI_Iallreduce
  kRankOrder,  // deterministic: bit-identical to one process accumulating the ranks' batches
};

struct DataParallelOptions {
  GradientReduction reduction = GradientReduction::kRing;
  // Reduce buckets during the backward pass on a communication thread.
  bool overlap = true;
  // Gradient bytes a bucket holds at least (its last parameter may take it past).
  int64_t bucket_bytes = int64_t{1} << 20;
  // Compresses the gradients instead (dist/compressor.h): every gradient goes to it at once after
  // the backward pass, so there is no overlap. Not owned; outlives the DataParallel.
  Compressor* compressor = nullptr;
};

class DataParallel {
 public:
  // Checks that every rank runs the same sinter version on the same model (a one-line
  // InputError on every rank if not), copies rank 0's parameters to the others, and sets the
  // trainer's on_gradients (and with overlap on_gradient_ready) to average the gradients. Keep
  // it alive while the trainer trains.
  DataParallel(Communicator& comm, Trainer& trainer, DataParallelOptions options = {});

  // Bytes this rank has sent a step for the gradients, on average over the steps so far (before
  // the first: what an all-reduce sends).
  int64_t bytes_per_step() const;
  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Bucket {
    int64_t offset = 0, size = 0;  // floats of flat_
    int64_t waiting = 0;           // gradients not yet copied in this step
  };
  void gradient_ready(size_t parameter, const Tensor& gradient);
  void reduce(const Bucket& bucket);
  void finish_step(Trainer& trainer);

  Communicator& comm_;
  DataParallelOptions options_;
  std::vector<float> flat_;              // every gradient, in the backward pass's order
  std::vector<int64_t> offset_;          // parameter i's place in flat_
  std::vector<int> bucket_of_;           // parameter i's bucket
  std::vector<int64_t> parameter_size_;  // parameter i's floats
  std::vector<Bucket> buckets_;
  std::mutex mutex_;                    // the callbacks may come from several threads
  int next_bucket_ = 0;                 // the next to hand to the thread, in order
  int64_t steps_ = 0, bytes_sent_ = 0;  // gradient bytes this rank sent over steps_
  std::unique_ptr<ReductionThread> thread_;
};

// One process's equivalent of a data-parallel step over `batches.size()` ranks: the gradients of
// each batch, summed in order and scaled by 1 / ranks, then the update; the running statistics of
// the first batch, as rank 0's. What DataParallel with GradientReduction::kRankOrder gives bit
// for bit. Returns the mean of the batches' losses and their correct count.
StepResult accumulated_step(Trainer& trainer, const std::vector<Batch>& batches);

}  // namespace sinter
