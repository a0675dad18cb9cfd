// sinter's ring all-reduce against MPI's over the same ranks, in real time: run as
// `tests/dist/run_ranks.sh 2 build/bench/sinter_allreduce_probe [REPS]`. At each size they take
// turns: the ring, MPI_Iallreduce polled under the communicator's deadline (what training uses)
// and a plain blocking MPI_Allreduce (MPI's own progress loop). Rank 0 prints one JSON line a size
// with the median times, the bus bandwidth (2 (P-1)/P of the buffer sent by each rank, per
// second) and the ring's throughput over each of MPI's.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "dist/communicator.h"
#include "dist/ring_allreduce.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sinter;
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 21;
  Communicator comm(120.0);
  const int p = comm.size();
  for (int64_t bytes : {int64_t{4} << 10, int64_t{64} << 10, int64_t{1} << 20, int64_t{4} << 20,
                        int64_t{16} << 20, int64_t{64} << 20}) {
    const int64_t n = bytes / 4;
    std::vector<float> data(static_cast<size_t>(n), 1.0f);
    std::vector<double> times[3];
    for (int r = 0; r < reps + 1; ++r) {
      for (int which = 0; which < 3; ++which) {
        comm.barrier("probe");
        const auto t0 = std::chrono::steady_clock::now();
        if (which == 0) {
          ring_allreduce_sum(comm, data.data(), n);
        } else if (which == 1) {
          comm.allreduce_sum(data.data(), n, "probe");
        } else {
          MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD);
        }
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0) times[which].push_back(s);  // the first is a warm-up
        std::fill(data.begin(), data.end(), 1.0f);
      }
    }
    const double tr = median(times[0]), tm = median(times[1]), tb = median(times[2]);
    const double moved = 2.0 * (p - 1) / p * static_cast<double>(bytes);
    if (comm.rank() == 0)
      std::printf(
          "{\"ranks\":%d,\"bytes\":%lld,\"ring_ms\":%.4f,\"mpi_polled_ms\":%.4f,"
          "\"mpi_blocking_ms\":%.4f,\"ring_gb_s\":%.3f,\"mpi_blocking_gb_s\":%.3f,"
          "\"ring_vs_mpi_polled\":%.3f,\"ring_vs_mpi_blocking\":%.3f}\n",
          p, static_cast<long long>(bytes), tr * 1e3, tm * 1e3, tb * 1e3, moved / tr / 1e9,
          moved / tb / 1e9, tm / tr, tb / tr);
  }
  return 0;
}
