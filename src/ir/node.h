#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/attribute.h"

namespace sinter {

// Bound for window, stride, dilation, pad and block attributes: products of two such values and a
// tensor dim stay far inside int64, so window arithmetic cannot overflow.
inline constexpr int64_t kMaxWindowAttribute = (int64_t{1} << 31) - 1;

// An operator application. Values are referred to by name, as in ONNX; an empty input name
// marks an omitted optional input.
struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;
  const Tensor& attr_tensor(const std::string& key) const;
  // Required attributes: throw ModelError naming the node when absent.
  int64_t required_int(const std::string& key) const;
  // Values that must lie in [lo, hi]: a ModelError names the node, the attribute (and index) and
  // the range otherwise.
  int64_t attr_int_in(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const;
  std::vector<int64_t> attr_ints_in(const std::string& key, std::vector<int64_t> fallback,
                                    int64_t lo, int64_t hi) const;

  // Input i if present and non-empty.
  bool has_input(size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
  // "Conv 'resnetv1/conv0'" — how errors name a node.
  std::string describe() const;
};

}  // namespace sinter
