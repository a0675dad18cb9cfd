#pragma once
// Overflow-checked int64 arithmetic for sizes, shapes, strides and offsets. Every size derived from
// numbers a model supplies (attributes, dims, initializer values) is computed with these, so a
// hostile model gets an error instead of a wrapped-around size.
#include <cstdint>
#include <initializer_list>

#include "core/error.h"

namespace sinter {

// A size computation left int64. It carries no node: infer_graph and Plan, which know the node
// being processed, put its name in front of the message.
class SizeOverflowError : public ModelError {
 public:
  using ModelError::ModelError;
};

[[noreturn]] void throw_size_overflow(const char* op, int64_t a, int64_t b);

inline int64_t checked_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw_size_overflow("+", a, b);
  return r;
}

inline int64_t checked_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) throw_size_overflow("-", a, b);
  return r;
}

inline int64_t checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw_size_overflow("*", a, b);
  return r;
}

inline int64_t checked_product(std::initializer_list<int64_t> factors) {
  int64_t r = 1;
  for (int64_t f : factors) r = checked_mul(r, f);
  return r;
}

// Bytes of `count` elements of `element_size` bytes; count must be non-negative.
int64_t checked_bytes(int64_t count, int64_t element_size);

}  // namespace sinter
