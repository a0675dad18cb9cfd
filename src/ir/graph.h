#pragma once
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "ir/node.h"

namespace sinter {

// Type of a value as far as it is known: dtype plus a shape whose unknown dims are -1.
struct ValueType {
  DType dtype = DType::kFloat32;
  Shape shape;
  bool has_shape = false;  // false: even the rank is unknown
};

// The one IR for inference and training: nodes in topological order over named values.
struct Graph {
  std::string name;
  int64_t opset = 13;  // version of the default ONNX domain
  std::vector<Node> nodes;
  std::vector<std::string> inputs;  // runtime inputs (initializers excluded)
  std::vector<std::string> outputs;
  std::unordered_map<std::string, Tensor> initializers;
  std::unordered_map<std::string, ValueType> types;  // known types of any value
  std::map<std::string, std::string> metadata;

  bool is_initializer(const std::string& v) const { return initializers.count(v) != 0; }
  // The initializer `v` when it is float32, else null.
  const Tensor* float_initializer(const std::string& v) const {
    auto it = initializers.find(v);
    return it == initializers.end() || it->second.dtype() != DType::kFloat32 ? nullptr
                                                                             : &it->second;
  }
  const ValueType* type_of(const std::string& v) const;

  // Reorders nodes topologically; throws ModelError naming a node whose input nothing produces.
  void topological_sort();
  // Node index producing each value.
  std::unordered_map<std::string, size_t> producers() const;
  // Number of uses of each value by nodes and graph outputs.
  std::unordered_map<std::string, int> use_counts() const;
  // A fresh value name starting with `hint` that is not used anywhere in the graph.
  std::string unique_name(const std::string& hint) const;
  // Removes node i wherever drop[i] is set, keeping the others in order (what a fusing pass does
  // with the nodes it absorbed).
  void remove_nodes(const std::vector<bool>& drop);
};

}  // namespace sinter
