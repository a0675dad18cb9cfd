#pragma once
// A compressed run's checkpoint holds every rank's compressor state, since residuals differ from
// rank to rank: before rank 0 writes a checkpoint each rank sends it its state, and a resumed
// rank takes its own back from the checkpoint file, which every rank reads.
#include <string>
#include <utility>
#include <vector>

#include "dist/communicator.h"
#include "dist/compressor.h"

namespace sinter {

// On rank 0, every rank's compressor state as "compressor/rank<r>/<name>" tensors; empty on the
// others. Every rank calls it at the same point of the run; their states must have the same
// layout (they do: the same compressor over the same gradients).
NamedTensors gather_compressor_states(Communicator& comm, const Compressor& compressor);

// Loads this rank's entries of a checkpoint's run state into `compressor` (none before its first
// step). The caller checks that the checkpoint's run used the same compressor.
void load_compressor_state(Compressor& compressor, const NamedTensors& run_state, int rank);

}  // namespace sinter
