#pragma once
// What an op's gradient rule sees: its forward node and the types of its values, the gradients
// flowing into its outputs, and an emitter that appends backward nodes (built from ordinary ops,
// so backward runs on the same executor and kernels as inference). Rules live with their ops.
#include <map>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/graph.h"
#include "ops/op_registry.h"

namespace sinter {

// Adds `value` to `g` as a new initializer named "grad/const_<n>"; returns the name.
std::string add_gradient_constant(Graph& g, Tensor value, int& counter);

class GradientContext {
 public:
  GradientContext(const Node& node, Graph& graph, std::vector<std::string> output_grads,
                  std::vector<bool> wanted, int& counter);

  const Node& node() const { return node_; }
  int64_t opset() const { return graph_.opset; }
  const std::string& input(size_t i) const { return node_.inputs[i]; }
  const std::string& output(size_t i) const { return node_.outputs[i]; }
  const ValueType& input_type(size_t i) const;
  const ValueType& output_type(size_t i) const;
  // dL/d(output i), or "" when no gradient reaches that output.
  const std::string& output_grad(size_t i) const;
  // The value of input i when it is an initializer (axes, shapes), else null.
  const Tensor* constant_input(size_t i) const;
  // Whether dL/d(input i) is needed (the input depends on a value being differentiated).
  bool wants(size_t i) const { return i < wanted_.size() && wanted_[i]; }

  // Appends a node and returns its (first) output's name.
  std::string emit(const std::string& op_type, std::vector<std::string> inputs,
                   std::map<std::string, Attribute> attrs = {});
  // The same for an op outside the default domain (sinter's own gradient ops).
  std::string emit_in_domain(const std::string& op_type, const std::string& domain,
                             std::vector<std::string> inputs,
                             std::map<std::string, Attribute> attrs = {});
  // A node with several outputs, named after the node and `labels` ("<node>/<label>"); an
  // empty label leaves that optional output out. Returns the output names, "" where left out.
  std::vector<std::string> emit_outputs(const std::string& op_type, const std::string& domain,
                                        std::vector<std::string> inputs,
                                        std::map<std::string, Attribute> attrs,
                                        const std::vector<std::string>& labels);
  // A constant as a new initializer; returns its name.
  std::string constant(Tensor value);
  std::string scalar(float v);
  std::string shape_constant(const Shape& shape);
  // Sums `grad` (shaped `from`) down to `to` under NumPy broadcasting: the inverse of broadcast.
  std::string unbroadcast(const std::string& grad, const Shape& from, const Shape& to);

  void set_input_grad(size_t i, std::string grad);
  const std::vector<std::string>& input_grads() const { return input_grads_; }

  // Throws UnsupportedError naming the node and what is not differentiable.
  [[noreturn]] void unsupported(const std::string& what) const;

 private:
  // Appends a node with its name and no outputs; valid until the next append.
  Node& append_node(const std::string& op_type, const std::string& domain,
                    std::vector<std::string> inputs, std::map<std::string, Attribute> attrs);

  const Node& node_;
  Graph& graph_;
  std::vector<std::string> output_grads_;
  std::vector<bool> wanted_;
  std::vector<std::string> input_grads_;
  int& counter_;
};

// `def` with its gradient rule set: for op families whose make function is shared.
inline OpDef with_gradient(OpDef def, std::function<void(GradientContext&)> rule) {
  def.gradient = std::move(rule);
  return def;
}

// The rule of ops that keep the data and relabel its shape (Reshape, Flatten, Squeeze,
// Unsqueeze): the output's gradient under the input's shape.
void reshape_to_input_gradient(GradientContext& g);

}  // namespace sinter
