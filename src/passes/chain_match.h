#pragma once
// Small predicates the fusion passes that match exported op chains share.
#include <string>

#include "ir/graph.h"

namespace sinter {

// Whether n is the default-domain operator `op`.
inline bool is_op(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

// Whether values a and b have the same known shape (a fused chain must not have broadcast its
// input to a larger one).
inline bool same_shape(const Graph& g, const std::string& a, const std::string& b) {
  const ValueType* ta = g.type_of(a);
  const ValueType* tb = g.type_of(b);
  return ta && tb && ta->has_shape && tb->has_shape && ta->shape == tb->shape;
}

}  // namespace sinter
