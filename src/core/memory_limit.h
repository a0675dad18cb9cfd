#pragma once
// The most bytes sinter's tensors may hold at once. Every tensor buffer is counted against it, and
// work that would need more (a plan's arena, an output, a constant) is refused before anything is
// allocated, with the size in the message, instead of swapping or dying halfway.
#include <cstdint>
#include <string>

#include "core/error.h"

namespace sinter {

// Work needs more memory than the limit allows.
class MemoryLimitError : public Error {
 public:
  using Error::Error;
};

// Default: the machine's physical memory.
int64_t memory_limit();
void set_memory_limit(int64_t bytes);
// Bytes held by tensor buffers right now.
int64_t memory_in_use();

// Throws MemoryLimitError when `bytes` more would pass the limit; `what` says what needs them
// ("the activation arena of the plan").
void check_memory_available(int64_t bytes, const std::string& what);

// Counts a buffer in or out (done by Tensor's allocator).
void count_allocation(int64_t bytes, const std::string& what);
void count_release(int64_t bytes);

// "8G", "512M", "64k" or a plain byte count (binary multiples); throws InputError otherwise.
int64_t parse_byte_size(const std::string& text);
// 40.00 GiB (42949672960 bytes)
std::string describe_bytes(int64_t bytes);

}  // namespace sinter
