#include "dist/compressor_checkpoint.h"

#include <cstring>

namespace sinter {

namespace {

std::string rank_prefix(int rank) { return cat("compressor/rank", rank, "/"); }

}  // namespace

NamedTensors gather_compressor_states(Communicator& comm, const Compressor& compressor) {
  const NamedTensors mine = compressor.state();
  size_t bytes = 0;
  for (const auto& [name, t] : mine) bytes += t.nbytes();
  std::vector<std::byte> packed(bytes);
  if (comm.rank() != 0) {
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
  for (int r = 1; r < comm.size(); ++r) {
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
