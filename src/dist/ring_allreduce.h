#pragma once
// All-reduce (sum) of a float buffer over every rank, on point-to-point messages: a
// reduce-scatter that leaves chunk r of the sum on rank r, then a ring all-gather. Each rank sends
// 2 (P-1)/P of the buffer, the least any all-reduce can, over the links to its ring neighbours.
// MPI's own MPI_Allreduce (Communicator::allreduce_sum) is the default for dense gradients; this
// one serves where sinter needs control: the order of the additions, the emulated links, the
// sparse payloads of compressed gradients.
#include <cstdint>

#include "dist/communicator.h"

namespace sinter {

enum class ReductionOrder {
  // The ring reduce-scatter: chunk c's partial sum travels the ring from rank c + 1, each rank
  // adding its part on the way (P - 1 steps, one message each way a step). Fixed, so a run
  // repeats bit for bit, but not the order of one process adding the ranks' buffers.
  kRing,
  // Every rank sends chunk c to its owner c, which adds the parts in rank order 0, 1, ..., P-1:
  // the same bits as one process summing the P buffers in that order (gradient accumulation),
  // for the same bytes as the ring, in P - 1 messages posted at once.
  kRankOrder,
};

// Chunk c of a buffer of `count` floats split over `ranks`: [chunk_begin(c), chunk_begin(c + 1)).
int64_t chunk_begin(int64_t count, int ranks, int c);

// Leaves on rank r the sum over all ranks of chunk r of `data` (other chunks hold partial sums).
void reduce_scatter_sum(Communicator& comm, float* data, int64_t count, ReductionOrder order);
// Gives every rank every chunk, chunk r taken from rank r.
void ring_all_gather(Communicator& comm, float* data, int64_t count);
// Every rank ends with the sum over all ranks of `data`, the same bits on each.
void ring_allreduce_sum(Communicator& comm, float* data, int64_t count,
                        ReductionOrder order = ReductionOrder::kRing);

}  // namespace sinter
