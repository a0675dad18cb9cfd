#include "dist/sparse_allgather.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sinter {

namespace {

int ring(int r, int p) { return ((r % p) + p) % p; }

// The 2-byte distance that says a 4-byte one follows.
constexpr uint16_t kLongGap = 0xFFFF;

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

std::vector<uint8_t> pack_entries(const std::vector<SparseEntry>& entries) {
  std::vector<uint8_t> bytes;
  bytes.reserve(entries.size() * 6);
  auto put = [&](const void* v, size_t n) {
    const auto* b = static_cast<const uint8_t*>(v);
    bytes.insert(bytes.end(), b, b + n);
  };
  int64_t previous = -1;
  for (const SparseEntry& e : entries) {
    SINTER_CHECK(int64_t{e.index} > previous, "sparse entries out of order: index ", e.index,
                 " follows ", previous);
    const uint32_t gap = previous < 0 ? e.index : e.index - static_cast<uint32_t>(previous);
    if (gap < kLongGap) {
      const auto short_gap = static_cast<uint16_t>(gap);
      put(&short_gap, sizeof short_gap);
    } else {
      put(&kLongGap, sizeof kLongGap);
      put(&gap, sizeof gap);
    }
    put(&e.value, sizeof e.value);
    previous = e.index;
  }
  return bytes;
}

std::vector<SparseEntry> unpack_entries(const std::vector<uint8_t>& bytes) {
  std::vector<SparseEntry> entries;
  size_t at = 0;
  auto take = [&](void* v, size_t n) {
    if (bytes.size() - at < n)
      throw CommError(cat("sparse all-gather: a packing of ", bytes.size(),
                          " bytes ends inside an entry (desynchronized?)"));
    std::memcpy(v, bytes.data() + at, n);
    at += n;
  };
  int64_t index = -1;
  while (at < bytes.size()) {
    uint16_t short_gap = 0;
    take(&short_gap, sizeof short_gap);
    uint32_t gap = short_gap;
    if (short_gap == kLongGap) take(&gap, sizeof gap);
    index = index < 0 ? gap : index + gap;
    if (index > std::numeric_limits<uint32_t>::max() || (!entries.empty() && gap == 0))
      throw CommError(cat("sparse all-gather: a packing holds index ", index,
                          ", out of order or out of range (desynchronized?)"));
    SparseEntry e;
    e.index = static_cast<uint32_t>(index);
    take(&e.value, sizeof e.value);
    entries.push_back(e);
  }
  return entries;
}

std::vector<std::vector<SparseEntry>> sparse_all_gather(Communicator& comm,
                                                        const std::vector<SparseEntry>& mine,
                                                        int64_t values) {
  const int p = comm.size(), r = comm.rank();
  std::vector<std::vector<uint8_t>> packed(static_cast<size_t>(p));
  packed[static_cast<size_t>(r)] = pack_entries(mine);
  std::vector<int64_t> sizes(static_cast<size_t>(p), 0);
  sizes[static_cast<size_t>(r)] = static_cast<int64_t>(packed[static_cast<size_t>(r)].size());
  std::vector<GatherBlock> size_blocks;
  for (int64_t& s : sizes) size_blocks.push_back({&s, sizeof s});
  ring_all_gather_blocks(comm, size_blocks, "sparse all-gather sizes");

  std::vector<GatherBlock> blocks;
  for (int q = 0; q < p; ++q) {
    auto& bytes = packed[static_cast<size_t>(q)];
    if (q != r) {
      // A size no gradient's packing can have means a peer is out of step: fail before
      // allocating it.
      const int64_t size = sizes[static_cast<size_t>(q)];
      // At most one entry a value, each at most 10 bytes (a long distance).
      if (size < 0 || size > 10 * values)
        throw CommError(cat("rank ", r, ": sparse all-gather: rank ", q, " announced ", size,
                            " bytes of entries (desynchronized?)"));
      bytes.resize(static_cast<size_t>(size));
    }
    blocks.push_back({bytes.data(), bytes.size()});
  }
  ring_all_gather_blocks(comm, blocks, "sparse all-gather");
  std::vector<std::vector<SparseEntry>> all(static_cast<size_t>(p));
  for (int q = 0; q < p; ++q)
    all[static_cast<size_t>(q)] = q == r ? mine : unpack_entries(packed[static_cast<size_t>(q)]);
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
  average_sparse(sparse_all_gather(comm, entries, values), gradients);
  SparseStep step;
  step.bytes = comm.bytes_sent() - before;
  step.density =
      values > 0 ? static_cast<double>(entries.size()) / static_cast<double>(values) : 0.0;
  return step;
}

}  // namespace sinter
