#pragma once
// The parameter-server baseline (`--dist ps:S`): the last S ranks are servers, each holding one
// chunk of the flattened parameters and the optimizer's state for it; the other ranks are
// workers that compute gradients on their slices of each global batch (as data parallelism
// does). Each step every worker pushes chunk s of its gradients to server s and pulls back chunk
// s of the updated parameters; the server sums the workers' chunks in worker order, scales by
// 1 / workers and makes the optimizer's step. So a step is the same update data parallelism
// makes, bit for bit against the rank-order reduction; but every server link carries
// 2 x workers x its chunk a step, which is what Stanza and all-reduce avoid.
#include <cstdint>
#include <vector>

#include "dist/communicator.h"
#include "train/trainer.h"

namespace sinter {

// Who is who: workers are ranks [0, workers), servers [workers, workers + servers).
struct ParameterServerLayout {
  int workers = 0;
  int servers = 0;
  int64_t floats = 0;  // parameters in all
  // Throws InputError (the same on every rank) when the world has no worker or no server.
  ParameterServerLayout(int world_size, int servers, int64_t floats);
  bool is_server(int rank) const { return rank >= workers; }
  // Server s's chunk of the flattened parameters: [chunk_begin(s), chunk_begin(s + 1)).
  int64_t chunk_begin(int s) const;
  // Bytes a worker sends a step (its gradients and a flag a server), and a server receives.
  int64_t worker_bytes_per_step() const;
  int64_t server_bytes_per_step(int s) const;
};

// A worker's side: checks the model against every rank's, copies rank 0's parameters to all
// (servers included: see serve_parameters), and replaces the trainer's update by the push and
// pull. Call finish() after the last step, so the servers stop.
class ParameterServerWorker {
 public:
  ParameterServerWorker(Communicator& comm, Trainer& trainer, int servers);
  void finish();
  const ParameterServerLayout& layout() const { return layout_; }

 private:
  void push_and_pull(Trainer& trainer, bool more);

  Communicator& comm_;
  Trainer& trainer_;
  ParameterServerLayout layout_;
  std::vector<float> flat_;  // gradients out, parameters in; a flag after each chunk
  bool finished_ = false;
};

// A server's side, on a rank that built the same Trainer (for the parameters' names, shapes,
// initial values and optimizer settings): serves its chunk until the workers finish, and
// returns the steps it served.
int64_t serve_parameters(Communicator& comm, Trainer& trainer, int servers);

}  // namespace sinter
