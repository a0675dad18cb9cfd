#include "dist/sparse_allgather.h"

#include <algorithm>
#include <limits>

namespace sinter {

namespace {

int ring(int r, int p) { return ((r % p) + p) % p; }

}  // namespace

void ring_all_gather_blocks(Communicator& comm, const std::vector<GatherBlock>& blocks,
                            const std::string& what) {
  const int p = comm.size(), r = comm.rank();
  SINTER_CHECK(static_cast<int>(blocks.size()) == p, what, ": ", blocks.size(), " blocks for ", p,
               " ranks");
  const int next = ring(r + 1, p), prev = ring(r - 1, p);
  for (int s = 0; s < p - 1; ++s) {
    const GatherBlock& out = blocks[static_cast<size_t>(ring(r - s, p))];
    const GatherBlock& in = blocks[static_cast<size_t>(ring(r - s - 1, p))];
    comm.transfer({{next, out.data, out.bytes}}, {{prev, in.data, in.bytes}},
                  cat(what, " (step ", s + 1, " of ", p - 1, ")"));
  }
}

std::vector<std::vector<uint8_t>> all_gather_same_size(Communicator& comm,
                                                       const std::vector<uint8_t>& mine,
                                                       const std::string& what) {
  std::vector<std::vector<uint8_t>> all(static_cast<size_t>(comm.size()));
  std::vector<GatherBlock> blocks;
  for (int q = 0; q < comm.size(); ++q) {
    auto& payload = all[static_cast<size_t>(q)];
    if (q == comm.rank()) {
      payload = mine;
    } else {
      payload.resize(mine.size());
    }
    blocks.push_back({payload.data(), payload.size()});
  }
  ring_all_gather_blocks(comm, blocks, what);
  return all;
}

std::vector<std::vector<SparseEntry>> sparse_all_gather(Communicator& comm,
                                                        const std::vector<SparseEntry>& mine) {
  const int p = comm.size(), r = comm.rank();
  std::vector<int64_t> counts(static_cast<size_t>(p), 0);
  counts[static_cast<size_t>(r)] = static_cast<int64_t>(mine.size());
  std::vector<GatherBlock> count_blocks;
  for (int64_t& c : counts) count_blocks.push_back({&c, sizeof c});
  ring_all_gather_blocks(comm, count_blocks, "sparse all-gather counts");

  std::vector<std::vector<SparseEntry>> all(static_cast<size_t>(p));
  std::vector<GatherBlock> blocks;
  for (int q = 0; q < p; ++q) {
    auto& entries = all[static_cast<size_t>(q)];
    if (q == r) {
      entries = mine;
    } else {
      // A count no gradient can have means a peer is out of step: fail before allocating it.
      if (counts[static_cast<size_t>(q)] < 0 ||
          counts[static_cast<size_t>(q)] > std::numeric_limits<uint32_t>::max())
        throw CommError(cat("rank ", r, ": sparse all-gather: rank ", q, " announced ",
                            counts[static_cast<size_t>(q)], " entries (desynchronized?)"));
      entries.resize(static_cast<size_t>(counts[static_cast<size_t>(q)]));
    }
    blocks.push_back({entries.data(), entries.size() * sizeof(SparseEntry)});
  }
  ring_all_gather_blocks(comm, blocks, "sparse all-gather");
  return all;
}

std::vector<int64_t> gradient_offsets(const std::vector<GradientView>& gradients) {
  std::vector<int64_t> offsets{0};
  for (const GradientView& g : gradients) offsets.push_back(offsets.back() + g.size);
  if (offsets.back() > std::numeric_limits<uint32_t>::max())
    throw InputError(cat("sparse gradient compression indexes values with 32 bits; the model has ",
                         offsets.back(), " gradient values"));
  return offsets;
}

void average_sparse(const std::vector<std::vector<SparseEntry>>& entries,
                    std::vector<GradientView>& gradients) {
  const std::vector<int64_t> offsets = gradient_offsets(gradients);
  for (GradientView& g : gradients) std::fill(g.data, g.data + g.size, 0.0f);
  for (size_t q = 0; q < entries.size(); ++q) {
    for (const SparseEntry& e : entries[q]) {
      if (e.index >= offsets.back())
        throw CommError(cat("sparse all-gather: rank ", q, " sent index ", e.index, " of ",
                            offsets.back(), " gradient values (desynchronized?)"));
      const auto t = static_cast<size_t>(
          std::upper_bound(offsets.begin(), offsets.end(), int64_t{e.index}) - offsets.begin() - 1);
      gradients[t].data[e.index - offsets[t]] += e.value;
    }
  }
  const float scale = 1.0f / static_cast<float>(entries.size());
  for (GradientView& g : gradients)
    for (int64_t i = 0; i < g.size; ++i) g.data[i] *= scale;
}

SparseStep send_sparse(Communicator& comm, const std::vector<SparseEntry>& entries,
                       std::vector<GradientView>& gradients, int64_t values) {
  const int64_t before = comm.bytes_sent();
  average_sparse(sparse_all_gather(comm, entries), gradients);
  SparseStep step;
  step.bytes = comm.bytes_sent() - before;
  step.density =
      values > 0 ? static_cast<double>(entries.size()) / static_cast<double>(values) : 0.0;
  return step;
}

}  // namespace sinter
