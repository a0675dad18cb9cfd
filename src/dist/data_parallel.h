#pragma once
// Data-parallel training, DDP's scheme: every rank holds the whole model and trains on its own
// slice of each global batch (DataLoaderOptions::shard), and the gradients are averaged over the
// ranks before every update, so every rank makes the same update from the same state.
// BatchNorm normalises with each rank's own batch statistics, as DDP does; the running
// statistics that inference uses are rank 0's (DDP broadcasts rank 0's buffers), and only rank 0
// evaluates and saves the model.
#include <cstdint>
#include <vector>

#include "dist/communicator.h"
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

class DataParallel {
 public:
  // Checks that every rank runs the same sinter version on the same model (a one-line
  // InputError on every rank if not), copies rank 0's parameters and running statistics to the
  // others, and sets trainer.on_gradients to average the gradients. Keep it alive while the
  // trainer trains.
  DataParallel(Communicator& comm, Trainer& trainer,
               GradientReduction reduction = GradientReduction::kRing);

  // Bytes this rank sends per step for the gradients (what any all-reduce must send).
  int64_t bytes_per_step() const;

 private:
  void average_gradients(Trainer& trainer);

  Communicator& comm_;
  GradientReduction reduction_;
  // The gradients, flattened last parameter first (the order the backward pass produces them).
  std::vector<float> bucket_;
};

// One process's equivalent of a data-parallel step over `batches.size()` ranks: the gradients of
// each batch, summed in order and scaled by 1 / ranks, then the update; the running statistics of
// the first batch, as rank 0's. What DataParallel with GradientReduction::kRankOrder gives bit
// for bit. Returns the mean of the batches' losses and their correct count.
StepResult accumulated_step(Trainer& trainer, const std::vector<Batch>& batches);

}  // namespace sinter
