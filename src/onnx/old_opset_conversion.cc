#include "onnx/old_opset_conversion.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/error.h"

namespace sinter {

namespace {

constexpr int kUnknownRank = -1;
// Ranks beyond any real tensor's are left unknown: a hostile file's axes lists could otherwise
// make one huge.
constexpr int kMaxRankPropagated = 64;

// A count as a rank, capped past kMaxRankPropagated so that the arithmetic on it stays in int.
int capped(int64_t count) {
  return static_cast<int>(std::min<int64_t>(count, kMaxRankPropagated + 1));
}

const std::set<std::string>& legacy_broadcast_ops() {
  static const std::set<std::string> ops = {"Add", "Sub", "Mul",   "Div",     "Pow", "And",
                                            "Or",  "Xor", "Equal", "Greater", "Less"};
  return ops;
}

// Operators whose output has the rank of their first input.
const std::set<std::string>& rank_keeping_ops() {
  static const std::set<std::string> ops = {"Abs",
                                            "AveragePool",
                                            "BatchNormalization",
                                            "Cast",
                                            "Ceil",
                                            "Clip",
                                            "Concat",
                                            "Conv",
                                            "ConvTranspose",
                                            "DepthToSpace",
                                            "Dropout",
                                            "Elu",
                                            "Exp",
                                            "Floor",
                                            "GlobalAveragePool",
                                            "GlobalMaxPool",
                                            "HardSigmoid",
                                            "Hardmax",
                                            "Identity",
                                            "InstanceNormalization",
                                            "LRN",
                                            "LeakyRelu",
                                            "Log",
                                            "LogSoftmax",
                                            "LpNormalization",
                                            "LpPool",
                                            "MaxPool",
                                            "Neg",
                                            "Not",
                                            "PRelu",
                                            "Pad",
                                            "Reciprocal",
                                            "Relu",
                                            "Selu",
                                            "Sigmoid",
                                            "Slice",
                                            "Softmax",
                                            "Softplus",
                                            "Softsign",
                                            "SpaceToDepth",
                                            "Split",
                                            "Sqrt",
                                            "Tanh",
                                            "TopK",
                                            "Transpose"};
  return ops;
}

// Operators whose output has the largest rank of their inputs.
const std::set<std::string>& rank_joining_ops() {
  static const std::set<std::string> ops = {"Add",  "Sub", "Mul", "Div",   "Pow",
                                            "And",  "Or",  "Xor", "Equal", "Greater",
                                            "Less", "Sum", "Max", "Min",   "Mean"};
  return ops;
}

class OldOpsetConverter {
 public:
  OldOpsetConverter(Graph& g, std::string what) : g_(g), what_(std::move(what)) {
    for (const auto& [name, type] : g.types)
      if (type.has_shape) ranks_[name] = static_cast<int>(type.shape.size());
    for (const auto& [name, tensor] : g.initializers) {
      ranks_[name] = static_cast<int>(tensor.shape().size());
      taken_.insert(name);
    }
    for (const Node& n : g.nodes) {
      taken_.insert(n.name);
      taken_.insert(n.inputs.begin(), n.inputs.end());
      taken_.insert(n.outputs.begin(), n.outputs.end());
    }
    taken_.insert(g.inputs.begin(), g.inputs.end());
    taken_.insert(g.outputs.begin(), g.outputs.end());
  }

  void run() {
    std::vector<Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (Node& n : nodes) {
      if (n.domain.empty()) rewrite(n);
      record_ranks(n);
      g_.nodes.push_back(std::move(n));
    }
    g_.opset = kFirstNativeOpset;
  }

 private:
  [[noreturn]] void unsupported(const Node& n, const std::string& why) const {
    throw UnsupportedError(cat(what_, ": ", n.describe(), " at opset ", from_, ": ", why));
  }

  int rank(const std::string& value) const {
    const auto it = ranks_.find(value);
    return it == ranks_.end() ? kUnknownRank : it->second;
  }

  // A name no value or node of the graph has (the nodes not yet rewritten included).
  std::string fresh_name(const std::string& hint) {
    std::string name = hint;
    for (int k = 1; taken_.count(name); ++k) name = cat(hint, "_", k);
    taken_.insert(name);
    return name;
  }

  const Tensor* int64_initializer(const std::string& value) const {
    const auto it = g_.initializers.find(value);
    return it == g_.initializers.end() || it->second.dtype() != DType::kInt64 ? nullptr
                                                                              : &it->second;
  }

  // A new int64 initializer holding `values`.
  std::string add_ints(const std::string& hint, const std::vector<int64_t>& values) {
    const std::string name = fresh_name(hint);
    const Shape shape{static_cast<int64_t>(values.size())};
    g_.initializers.emplace(name, Tensor::from_vector<int64_t>(shape, values));
    g_.types[name] = {DType::kInt64, shape, true};
    ranks_[name] = 1;
    return name;
  }

  // `value` with `count` unit axes appended, by an Unsqueeze placed before the node being
  // rewritten.
  std::string append_unit_axes(const Node& n, const std::string& value, int value_rank,
                               int64_t count) {
    Node unsqueeze;
    unsqueeze.op_type = "Unsqueeze";
    unsqueeze.name = fresh_name(n.name + "_line_up");
    unsqueeze.inputs = {value};
    unsqueeze.outputs = {fresh_name(value + "_lined_up")};
    std::vector<int64_t> axes;
    for (int64_t k = 0; k < count; ++k) axes.push_back(value_rank + k);
    unsqueeze.attrs["axes"] = axes;
    ranks_[unsqueeze.outputs[0]] = value_rank + static_cast<int>(count);
    g_.nodes.push_back(unsqueeze);
    return unsqueeze.outputs[0];
  }

  void rewrite(Node& n) {
    n.attrs.erase("consumed_inputs");
    const std::string& op = n.op_type;
    if (legacy_broadcast_ops().count(op)) {
      line_up_broadcast(n);
    } else if (op == "PRelu") {
      slope_per_channel(n);
    } else if (op == "Gemm") {
      n.attrs.erase("broadcast");
    } else if (op == "BatchNormalization" || op == "Dropout") {
      if (n.attr_int("is_test", 0) == 0 && n.outputs.size() > 1)
        unsupported(n, "training mode (is_test 0 with more than one output) is not supported");
      n.attrs.erase("is_test");
    } else if (op == "Concat") {
      if (!n.has_attr("axis")) n.attrs["axis"] = int64_t{1};
    } else if (op == "Reshape") {
      if (n.has_attr("shape")) {
        n.inputs.resize(1);
        n.inputs.push_back(add_ints(n.name + "_shape", n.attr_ints("shape")));
        n.attrs.erase("shape");
      }
    } else if (op == "Pad") {
      if (n.has_attr("paddings")) {
        n.attrs["pads"] = n.attr_ints("paddings");
        n.attrs.erase("paddings");
      }
    } else if (op == "Split") {
      if (n.has_input(1)) {
        const Tensor* sizes = int64_initializer(n.inputs[1]);
        if (!sizes) unsupported(n, "split sizes from a value computed at run time");
        n.attrs["split"] =
            std::vector<int64_t>(sizes->data<int64_t>(), sizes->data<int64_t>() + sizes->numel());
      }
      n.inputs.resize(1);
    } else if (op == "Cast") {
      cast_type_number(n);
    } else if (op == "Tile" && from_ < 6) {
      unsupported(n, "Tile before opset 6 (tiles and axis as inputs) is not supported");
    } else if (op == "Upsample") {
      unsupported(n, "the experimental Upsample before opset 7 is not supported");
    }
  }

  void line_up_broadcast(Node& n) {
    const bool broadcast = n.attr_int("broadcast", 0) != 0;
    if (broadcast && n.has_attr("axis") && n.inputs.size() == 2) {
      const int a = rank(n.inputs[0]), b = rank(n.inputs[1]);
      if (a == kUnknownRank || b == kUnknownRank)
        unsupported(n, "a broadcast from an axis over values of unknown rank");
      const int64_t given = n.attr_int("axis", 0);
      const int64_t axis = given < 0 && given >= -a ? given + a : given;
      const int64_t trailing = axis >= 0 && axis <= a ? a - axis - b : -1;
      if (trailing < 0)
        throw ModelError(cat(what_, ": ", n.describe(), ": broadcast axis ", n.attr_int("axis", 0),
                             " does not fit ranks ", a, " and ", b));
      if (trailing > 0) n.inputs[1] = append_unit_axes(n, n.inputs[1], b, trailing);
    }
    n.attrs.erase("broadcast");
    n.attrs.erase("axis");
  }

  void slope_per_channel(Node& n) {
    if (n.inputs.size() != 2) return;
    const int x = rank(n.inputs[0]), slope = rank(n.inputs[1]);
    if (slope != 1) return;
    const auto it = g_.types.find(n.inputs[1]);
    const bool single = it != g_.types.end() && it->second.has_shape &&
                        it->second.shape.size() == 1 && it->second.shape[0] == 1;
    if (single) return;  // one slope for every channel broadcasts as it is
    if (x == kUnknownRank) unsupported(n, "a per-channel slope over a value of unknown rank");
    if (x >= 3) n.inputs[1] = append_unit_axes(n, n.inputs[1], 1, x - 2);
  }

  void cast_type_number(Node& n) {
    const auto it = n.attrs.find("to");
    if (it == n.attrs.end() || !std::holds_alternative<std::string>(it->second)) return;
    const std::string type_name = std::get<std::string>(it->second);
    onnx::TensorProto_DataType number{};
    if (!onnx::TensorProto_DataType_Parse(type_name, &number))
      throw ModelError(cat(what_, ": ", n.describe(), ": unknown type name '", type_name, "'"));
    it->second = static_cast<int64_t>(number);
  }

  // The ranks of n's outputs where they follow from its inputs' and attributes.
  void record_ranks(const Node& n) {
    if (!n.domain.empty() || n.outputs.empty()) return;
    const std::string& op = n.op_type;
    const int first = n.inputs.empty() ? kUnknownRank : rank(n.inputs[0]);
    int out = kUnknownRank;
    if (rank_keeping_ops().count(op)) {
      out = first;
    } else if (rank_joining_ops().count(op)) {
      for (const std::string& in : n.inputs) {
        if (rank(in) == kUnknownRank) return;
        out = std::max(out, rank(in));
      }
    } else if (op == "Gemm" || op == "Flatten") {
      out = 2;
    } else if (op == "Shape") {
      out = 1;
    } else if (op == "Size") {
      out = 0;
    } else if (op == "Constant" && n.has_attr("value")) {
      out = capped(static_cast<int64_t>(n.attr_tensor("value").shape().size()));
    } else if (op == "Reshape" && n.has_input(1)) {
      if (const Tensor* shape = int64_initializer(n.inputs[1])) out = capped(shape->numel());
    } else if (op == "Unsqueeze" && first != kUnknownRank) {
      out = first + capped(static_cast<int64_t>(n.attr_ints("axes").size()));
    } else if (op == "Squeeze" && first != kUnknownRank && n.has_attr("axes")) {
      out = first - capped(static_cast<int64_t>(n.attr_ints("axes").size()));
    } else if (op == "Gather" && n.inputs.size() == 2 && first != kUnknownRank &&
               rank(n.inputs[1]) != kUnknownRank) {
      out = first - 1 + rank(n.inputs[1]);
    } else if (op == "MatMul" && n.inputs.size() == 2) {
      const int a = first, b = rank(n.inputs[1]);
      if (a >= 2 && b >= 2) out = std::max(a, b);
    } else if ((op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") &&
               first != kUnknownRank) {
      if (n.attr_int("keepdims", 1) != 0) {
        out = first;
      } else if (op == "ArgMax" || op == "ArgMin") {
        out = first - 1;
      } else {
        out = n.has_attr("axes") ? first - capped(static_cast<int64_t>(n.attr_ints("axes").size()))
                                 : 0;
      }
    }
    if (out < 0 || out > kMaxRankPropagated) return;
    for (const std::string& v : n.outputs)
      if (!v.empty()) ranks_[v] = out;
  }

  Graph& g_;
  std::string what_;
  int64_t from_ = g_.opset;
  std::unordered_map<std::string, int> ranks_;
  std::set<std::string> taken_;
};

}  // namespace

void convert_to_opset_7(Graph& g, const std::string& what) { OldOpsetConverter(g, what).run(); }

}  // namespace sinter
