#include "ir/graph_builder.h"

namespace sinter {

std::string GraphBuilder::input(const std::string& name, DType dtype, Shape shape) {
  g_.inputs.push_back(name);
  g_.types[name] = {dtype, std::move(shape), true};
  return name;
}

std::string GraphBuilder::weight(const std::string& name, Tensor value) {
  g_.types[name] = {value.dtype(), value.shape(), true};
  g_.initializers[name] = std::move(value);
  return name;
}

std::string GraphBuilder::node(const std::string& op_type, std::vector<std::string> inputs,
                               std::map<std::string, Attribute> attrs, int num_outputs,
                               const std::string& domain) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = op_type + "_" + std::to_string(counter_++);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  for (int i = 0; i < num_outputs; ++i) n.outputs.push_back(n.name + "_out" + std::to_string(i));
  g_.nodes.push_back(std::move(n));
  return g_.nodes.back().outputs[0];
}

void GraphBuilder::output(const std::string& value) { g_.outputs.push_back(value); }

}  // namespace sinter
