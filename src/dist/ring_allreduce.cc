#include "dist/ring_allreduce.h"

#include <vector>

namespace sinter {

namespace {

int ring(int r, int p) { return ((r % p) + p) % p; }

std::string step_name(const char* what, int s, int steps) {
  return cat(what, " (step ", s + 1, " of ", steps, ")");
}

void ring_reduce_scatter(Communicator& comm, float* data, int64_t count) {
  const int p = comm.size(), r = comm.rank();
  const int next = ring(r + 1, p), prev = ring(r - 1, p);
  std::vector<float> incoming(static_cast<size_t>(chunk_begin(count, p, 1) + 1));
  for (int s = 0; s < p - 1; ++s) {
    const int out = ring(r - s - 1, p), in = ring(r - s - 2, p);
    const int64_t out0 = chunk_begin(count, p, out), out1 = chunk_begin(count, p, out + 1);
    const int64_t in0 = chunk_begin(count, p, in), in1 = chunk_begin(count, p, in + 1);
    comm.transfer({{next, data + out0, static_cast<size_t>(out1 - out0) * sizeof(float)}},
                  {{prev, incoming.data(), static_cast<size_t>(in1 - in0) * sizeof(float)}},
                  step_name("ring reduce-scatter", s, p - 1));
    for (int64_t i = in0; i < in1; ++i) data[i] += incoming[static_cast<size_t>(i - in0)];
  }
}

void rank_order_reduce_scatter(Communicator& comm, float* data, int64_t count) {
  const int p = comm.size(), r = comm.rank();
  const int64_t mine0 = chunk_begin(count, p, r), mine1 = chunk_begin(count, p, r + 1);
  const int64_t n = mine1 - mine0;
  std::vector<float> parts(static_cast<size_t>(n * p));
  std::vector<Communicator::Message> sends, receives;
  for (int q = 0; q < p; ++q) {
    if (q == r) continue;
    const int64_t c0 = chunk_begin(count, p, q), c1 = chunk_begin(count, p, q + 1);
    sends.push_back({q, data + c0, static_cast<size_t>(c1 - c0) * sizeof(float)});
    receives.push_back({q, parts.data() + q * n, static_cast<size_t>(n) * sizeof(float)});
  }
  comm.transfer(sends, receives, "rank-order reduce-scatter");
  std::copy(data + mine0, data + mine1, parts.begin() + r * n);
  for (int64_t i = 0; i < n; ++i) {
    float sum = parts[static_cast<size_t>(i)];
    for (int q = 1; q < p; ++q) sum += parts[static_cast<size_t>(q * n + i)];
    data[mine0 + i] = sum;
  }
}

}  // namespace

int64_t chunk_begin(int64_t count, int ranks, int c) { return count * c / ranks; }

void reduce_scatter_sum(Communicator& comm, float* data, int64_t count, ReductionOrder order) {
  if (comm.size() == 1) return;
  if (order == ReductionOrder::kRing) {
    ring_reduce_scatter(comm, data, count);
  } else {
    rank_order_reduce_scatter(comm, data, count);
  }
}

void ring_all_gather(Communicator& comm, float* data, int64_t count) {
  const int p = comm.size(), r = comm.rank();
  const int next = ring(r + 1, p), prev = ring(r - 1, p);
  for (int s = 0; s < p - 1; ++s) {
    const int out = ring(r - s, p), in = ring(r - s - 1, p);
    const int64_t out0 = chunk_begin(count, p, out), out1 = chunk_begin(count, p, out + 1);
    const int64_t in0 = chunk_begin(count, p, in), in1 = chunk_begin(count, p, in + 1);
    comm.transfer({{next, data + out0, static_cast<size_t>(out1 - out0) * sizeof(float)}},
                  {{prev, data + in0, static_cast<size_t>(in1 - in0) * sizeof(float)}},
                  step_name("ring all-gather", s, p - 1));
  }
}

void ring_allreduce_sum(Communicator& comm, float* data, int64_t count, ReductionOrder order) {
  reduce_scatter_sum(comm, data, count, order);
  ring_all_gather(comm, data, count);
}

}  // namespace sinter
