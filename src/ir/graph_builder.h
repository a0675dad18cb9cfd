#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter {

// Builds a Graph in code: inputs, weights, nodes in order, outputs. Used by tests and by code
// that constructs models directly rather than importing them.
class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 13) { g_.opset = opset; }

  std::string input(const std::string& name, DType dtype, Shape shape);
  std::string weight(const std::string& name, Tensor value);
  // Adds a node; returns its first output (named `name` + ":0"-style unique names if outputs
  // are not given).
  std::string node(const std::string& op_type, std::vector<std::string> inputs,
                   std::map<std::string, Attribute> attrs = {}, int num_outputs = 1,
                   const std::string& domain = "");
  // All outputs of the last node added.
  const std::vector<std::string>& last_outputs() const { return g_.nodes.back().outputs; }
  void output(const std::string& value);

  Graph build() const { return g_; }

 private:
  Graph g_;
  int counter_ = 0;
};

}  // namespace sinter
