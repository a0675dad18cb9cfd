#pragma once
#include <cstddef>
#include <vector>

namespace sinter {

// A buffer the executor needs between two steps (inclusive).
struct BufferLifetime {
  size_t bytes = 0;
  int first_step = 0;
  int last_step = 0;
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per buffer, 64-byte aligned
  size_t arena_bytes = 0;       // size of the one arena holding them all
  size_t naive_bytes = 0;       // what separate allocations would take
};

// Static liveness-based placement: buffers whose lifetimes overlap never share bytes. Greedy by
// size (largest first, lowest fitting offset), which lands close to the peak of live bytes on
// CNN graphs.
MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers);

// Peak of bytes live at one step; a lower bound for any placement.
size_t peak_live_bytes(const std::vector<BufferLifetime>& buffers);

}  // namespace sinter
