#include "dist/compressor_checkpoint.h"

#include <cstring>

namespace sinter {

namespace {

std::string rank_prefix(int rank) { return cat("compressor/rank", rank, "/"); }

}  // namespace

NamedTensors gather_compressor_states(Communicator& comm, const Compressor& compressor) {
  const NamedTensors mine = compressor.state();
  // The sizes go first, so that rank 0 files every rank's bytes under the right names.
  std::vector<int64_t> layout;
  size_t bytes = 0;
  for (const auto& [name, t] : mine) {
    layout.push_back(static_cast<int64_t>(t.nbytes()));
    bytes += t.nbytes();
  }
  std::vector<std::byte> packed(bytes);
  if (comm.rank() != 0) {
    comm.send(0, layout.data(), layout.size() * sizeof(int64_t), "compressor state layout");
    size_t at = 0;
    for (const auto& [name, t] : mine) {
      std::memcpy(packed.data() + at, t.raw(), t.nbytes());
      at += t.nbytes();
    }
    comm.send(0, packed.data(), bytes, "compressor state for a checkpoint");
    return {};
  }
  NamedTensors all;
  for (const auto& [name, t] : mine) all.emplace_back(rank_prefix(0) + name, t);
  std::vector<int64_t> theirs(layout.size());
  for (int r = 1; r < comm.size(); ++r) {
    comm.recv(r, theirs.data(), theirs.size() * sizeof(int64_t), "compressor state layout");
    if (theirs != layout)
      throw CommError(cat("rank 0: rank ", r,
                          "'s compressor state is laid out otherwise than "
                          "this rank's (the ranks run different compressors or models)"));
    comm.recv(r, packed.data(), bytes, "compressor state for a checkpoint");
    size_t at = 0;
    for (const auto& [name, t] : mine) {
      Tensor copy(t.dtype(), t.shape());
      std::memcpy(copy.raw(), packed.data() + at, t.nbytes());
      at += t.nbytes();
      all.emplace_back(rank_prefix(r) + name, std::move(copy));
    }
  }
  return all;
}

void load_compressor_state(Compressor& compressor, const NamedTensors& run_state, int rank) {
  const std::string prefix = rank_prefix(rank);
  NamedTensors mine;
  for (const auto& [name, t] : run_state)
    if (name.compare(0, prefix.size(), prefix) == 0)
      mine.emplace_back(name.substr(prefix.size()), t);
  compressor.load_state(mine);
}

}  // namespace sinter
