#include "core/checked_math.h"

namespace sinter {

void throw_size_overflow(const char* op, int64_t a, int64_t b) {
  throw SizeOverflowError(cat("size arithmetic overflows int64: ", a, " ", op, " ", b));
}

int64_t checked_bytes(int64_t count, int64_t element_size) {
  if (count < 0) throw SizeOverflowError(cat("negative element count ", count));
  return checked_mul(count, element_size);
}

}  // namespace sinter
