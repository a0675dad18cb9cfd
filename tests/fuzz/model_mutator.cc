#include "model_mutator.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace sinter::fuzz {

namespace {

using Rng = std::mt19937_64;

size_t pick(Rng& rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
bool chance(Rng& rng, int percent) { return static_cast<int>(pick(rng, 100)) < percent; }

// Values that break size arithmetic, mixed with the small ones real attributes hold.
int64_t interesting_int(Rng& rng) {
  static const int64_t values[] = {0,
                                   1,
                                   -1,
                                   2,
                                   3,
                                   4,
                                   -2,
                                   5,
                                   7,
                                   8,
                                   16,
                                   255,
                                   256,
                                   (int64_t{1} << 31) - 1,
                                   int64_t{1} << 31,
                                   -(int64_t{1} << 31),
                                   int64_t{1} << 32,
                                   int64_t{1} << 40,
                                   int64_t{1} << 62,
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max() / 2 + 1};
  switch (pick(rng, 4)) {
    case 0:
      return static_cast<int64_t>(rng());
    case 1:
      return static_cast<int64_t>(pick(rng, 17)) - 8;
    default:
      return values[pick(rng, std::size(values))];
  }
}

double interesting_float(Rng& rng) {
  static const double values[] = {0.0,
                                  -0.0,
                                  1.0,
                                  -1.0,
                                  0.5,
                                  2.0,
                                  1e-45,
                                  1e-8,
                                  1e30,
                                  -1e30,
                                  3.4e38,
                                  1e300,
                                  2147483648.0,
                                  9.3e18,
                                  std::numeric_limits<double>::infinity(),
                                  -std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::quiet_NaN()};
  if (chance(rng, 25)) return std::uniform_real_distribution<double>(-4, 4)(rng);
  return values[pick(rng, std::size(values))];
}

// Dims of inputs: mostly small, so the model still runs, sometimes hostile.
int64_t interesting_dim(Rng& rng) {
  static const int64_t small[] = {0, 1, 1, 2, 2, 3, 4, 5, 7, 8, 16, 33};
  return chance(rng, 85) ? small[pick(rng, std::size(small))] : interesting_int(rng);
}

std::string interesting_string(Rng& rng) {
  static const char* values[] = {"NOTSET",  "SAME_UPPER", "SAME_LOWER", "VALID", "DCR",
                                 "CRD",     "constant",   "reflect",    "edge",  "wrap",
                                 "linear",  "nearest",    "cubic",      "",      "relu",
                                 "Relu",    "Tanh",       "none",       "tanh",  "half_pixel",
                                 "SAME_UP", "\xff\xfe",   "sum",        "mean",  "max"};
  return values[pick(rng, std::size(values))];
}

int element_size(int data_type) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32:
      return 4;
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::BOOL:
    case 21:  // UINT4 and INT4 (opset 21), a byte holding two values
    case 22:
      return 1;
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      return 2;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::UINT64:
      return 8;
    default:
      return 0;
  }
}

bool is_float_type(int data_type) {
  return data_type == onnx::TensorProto::FLOAT || data_type == onnx::TensorProto::DOUBLE ||
         data_type == onnx::TensorProto::FLOAT16 || data_type == onnx::TensorProto::BFLOAT16;
}

// Writes `bytes` little-endian bytes of a value of the tensor's type at element i of raw_data.
void write_raw_element(onnx::TensorProto& t, size_t i, Rng& rng) {
  const int es = element_size(t.data_type());
  std::string& raw = *t.mutable_raw_data();
  if (es == 0 || (i + 1) * es > raw.size()) return;
  char buf[8];
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    const auto v = static_cast<float>(interesting_float(rng));
    std::memcpy(buf, &v, 4);
  } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
    const double v = interesting_float(rng);
    std::memcpy(buf, &v, 8);
  } else {
    const int64_t v = interesting_int(rng);
    std::memcpy(buf, &v, 8);  // little-endian: the low bytes first
  }
  raw.replace(i * es, es, buf, es);
}

// Element count of the tensor's stored values, whatever field holds them.
size_t stored_count(const onnx::TensorProto& t) {
  if (!t.raw_data().empty()) {
    const int es = element_size(t.data_type());
    return es ? t.raw_data().size() / es : 0;
  }
  return t.float_data_size() + t.int32_data_size() + t.int64_data_size() + t.double_data_size() +
         t.uint64_data_size();
}

void set_element(onnx::TensorProto& t, size_t i, Rng& rng) {
  if (!t.raw_data().empty()) return write_raw_element(t, i, rng);
  if (t.float_data_size()) {
    t.set_float_data(i % t.float_data_size(), static_cast<float>(interesting_float(rng)));
  } else if (t.double_data_size()) {
    t.set_double_data(i % t.double_data_size(), interesting_float(rng));
  } else if (t.int64_data_size()) {
    t.set_int64_data(i % t.int64_data_size(), interesting_int(rng));
  } else if (t.int32_data_size()) {
    t.set_int32_data(i % t.int32_data_size(), static_cast<int32_t>(interesting_int(rng)));
  } else if (t.uint64_data_size()) {
    t.set_uint64_data(i % t.uint64_data_size(), static_cast<uint64_t>(interesting_int(rng)));
  }
}

// Zeroes most float values: pruned weights, which steer Conv and Gemm onto the sparse kernels.
void prune_values(onnx::TensorProto& t, Rng& rng) {
  const int keep = static_cast<int>(pick(rng, 50));
  if (t.data_type() == onnx::TensorProto::FLOAT && !t.raw_data().empty()) {
    std::string& raw = *t.mutable_raw_data();
    for (size_t i = 0; i + 4 <= raw.size(); i += 4)
      if (!chance(rng, keep)) std::memset(&raw[i], 0, 4);
  } else {
    for (int i = 0; i < t.float_data_size(); ++i)
      if (!chance(rng, keep)) t.set_float_data(i, 0.0f);
  }
}

// Another shape with values to match, so kernels meet new sizes (inputs, weights, shapes).
void resize_tensor(onnx::TensorProto& t, Rng& rng) {
  const int es = element_size(t.data_type());
  if (es == 0) return;
  if (t.dims_size() == 0 || chance(rng, 15)) {
    t.add_dims(1 + static_cast<int64_t>(pick(rng, 4)));
  } else if (chance(rng, 15)) {
    t.mutable_dims()->RemoveLast();
  } else {
    static const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 32, 33, 64};
    t.set_dims(static_cast<int>(pick(rng, t.dims_size())), sizes[pick(rng, std::size(sizes))]);
  }
  // Too big (or a dim left hostile by an earlier edit): the loader refuses the size mismatch,
  // which is still a case.
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > (1 << 16)) return;
    count *= d;
    if (count > (1 << 16)) return;
  }
  t.clear_float_data();
  t.clear_int32_data();
  t.clear_int64_data();
  t.clear_double_data();
  t.clear_uint64_data();
  std::string raw(static_cast<size_t>(count * es), '\0');
  for (int64_t i = 0; i < count; ++i) {
    if (t.data_type() == onnx::TensorProto::FLOAT) {
      const float v = std::uniform_real_distribution<float>(-2, 2)(rng);
      std::memcpy(&raw[i * es], &v, 4);
    } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
      const double v = std::uniform_real_distribution<double>(-2, 2)(rng);
      std::memcpy(&raw[i * es], &v, 8);
    } else {
      const uint64_t v = pick(rng, 4);  // small integers: indices and sizes stay mostly valid
      std::memcpy(&raw[i * es], &v, es);
    }
  }
  t.set_raw_data(raw);
}

void mutate_tensor(onnx::TensorProto& t, Rng& rng) {
  const size_t n = stored_count(t);
  switch (pick(rng, 8)) {
    case 0:
    case 1:
    case 2:
      if (n) set_element(t, pick(rng, n), rng);
      break;
    case 3:
      if (is_float_type(t.data_type())) {
        prune_values(t, rng);
      } else if (n) {
        for (size_t k = 0; k < 3; ++k) set_element(t, pick(rng, n), rng);
      }
      break;
    case 4: {  // another element type of the same size keeps the byte count valid
      static const int same4[] = {onnx::TensorProto::FLOAT, onnx::TensorProto::INT32};
      static const int same8[] = {onnx::TensorProto::INT64, onnx::TensorProto::DOUBLE};
      const int es = element_size(t.data_type());
      if (es == 4 && !t.raw_data().empty()) t.set_data_type(same4[pick(rng, 2)]);
      if (es == 8 && !t.raw_data().empty()) t.set_data_type(same8[pick(rng, 2)]);
      if (chance(rng, 20)) t.set_data_type(static_cast<int>(pick(rng, 17)));
      // 8-bit to 4-bit and back: the packed byte count no longer matches.
      if (es == 1 && chance(rng, 10)) t.set_data_type(static_cast<int>(21 + pick(rng, 2)));
      break;
    }
    case 5:  // reshape without changing the count: split or merge dims
      if (t.dims_size() >= 2 && chance(rng, 50)) {
        const int d = static_cast<int>(pick(rng, t.dims_size() - 1));
        // Wrapped like the dims of a corrupt file would be; the loader must refuse those.
        t.set_dims(d, static_cast<int64_t>(static_cast<uint64_t>(t.dims(d)) *
                                           static_cast<uint64_t>(t.dims(d + 1))));
        t.mutable_dims()->erase(t.mutable_dims()->begin() + d + 1);
      } else {
        t.mutable_dims()->Add(1);
      }
      break;
    case 6:
      if (t.dims_size() && chance(rng, 30)) {
        t.set_dims(static_cast<int>(pick(rng, t.dims_size())), interesting_dim(rng));
      } else {
        resize_tensor(t, rng);
      }
      break;
    default:
      if (n)
        for (size_t i = 0; i < n && i < 64; ++i) set_element(t, i, rng);
      break;
  }
}

// Attribute names and kinds the op set reads, for adding attributes nodes did not have.
struct KnownAttribute {
  const char* name;
  onnx::AttributeProto::AttributeType type;
};
constexpr KnownAttribute kKnownAttributes[] = {
    {"axis", onnx::AttributeProto::INT},
    {"axes", onnx::AttributeProto::INTS},
    {"keepdims", onnx::AttributeProto::INT},
    {"perm", onnx::AttributeProto::INTS},
    {"kernel_shape", onnx::AttributeProto::INTS},
    {"strides", onnx::AttributeProto::INTS},
    {"pads", onnx::AttributeProto::INTS},
    {"dilations", onnx::AttributeProto::INTS},
    {"group", onnx::AttributeProto::INT},
    {"blocksize", onnx::AttributeProto::INT},
    {"auto_pad", onnx::AttributeProto::STRING},
    {"mode", onnx::AttributeProto::STRING},
    {"ceil_mode", onnx::AttributeProto::INT},
    {"count_include_pad", onnx::AttributeProto::INT},
    {"transA", onnx::AttributeProto::INT},
    {"transB", onnx::AttributeProto::INT},
    {"alpha", onnx::AttributeProto::FLOAT},
    {"beta", onnx::AttributeProto::FLOAT},
    {"epsilon", onnx::AttributeProto::FLOAT},
    {"allowzero", onnx::AttributeProto::INT},
    {"k", onnx::AttributeProto::INT},
    {"largest", onnx::AttributeProto::INT},
    {"sorted", onnx::AttributeProto::INT},
    {"split", onnx::AttributeProto::INTS},
    {"start", onnx::AttributeProto::INT},
    {"end", onnx::AttributeProto::INT},
    {"to", onnx::AttributeProto::INT},
    {"select_last_index", onnx::AttributeProto::INT},
    {"min", onnx::AttributeProto::FLOAT},
    {"max", onnx::AttributeProto::FLOAT},
    {"ratio", onnx::AttributeProto::FLOAT},
    {"saturate", onnx::AttributeProto::INT},
    {"noop_with_empty_axes", onnx::AttributeProto::INT},
    {"starts", onnx::AttributeProto::INTS},
    {"ends", onnx::AttributeProto::INTS},
    {"shape", onnx::AttributeProto::INTS},
    {"value", onnx::AttributeProto::TENSOR},
    {"value_float", onnx::AttributeProto::FLOAT},
    {"value_ints", onnx::AttributeProto::INTS},
    {"activation", onnx::AttributeProto::STRING},
    {"spatial", onnx::AttributeProto::INT},
    {"momentum", onnx::AttributeProto::FLOAT},
    {"stash_type", onnx::AttributeProto::INT},
    {"pool_kernel_shape", onnx::AttributeProto::INTS},
    {"pool_strides", onnx::AttributeProto::INTS},
    {"pool_pads", onnx::AttributeProto::INTS},
    {"pool_ceil_mode", onnx::AttributeProto::INT},
};

void set_random_value(onnx::AttributeProto& a, Rng& rng) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      a.set_i(interesting_int(rng));
      break;
    case onnx::AttributeProto::FLOAT:
      a.set_f(static_cast<float>(interesting_float(rng)));
      break;
    case onnx::AttributeProto::STRING:
      a.set_s(interesting_string(rng));
      break;
    case onnx::AttributeProto::INTS:
      if (a.ints_size() == 0 || chance(rng, 15)) {
        a.add_ints(interesting_int(rng));
      } else if (chance(rng, 10)) {
        a.mutable_ints()->RemoveLast();
      } else {
        a.set_ints(static_cast<int>(pick(rng, a.ints_size())), interesting_int(rng));
      }
      break;
    case onnx::AttributeProto::FLOATS:
      if (a.floats_size() == 0 || chance(rng, 15)) {
        a.add_floats(static_cast<float>(interesting_float(rng)));
      } else {
        a.set_floats(static_cast<int>(pick(rng, a.floats_size())),
                     static_cast<float>(interesting_float(rng)));
      }
      break;
    case onnx::AttributeProto::TENSOR:
      if (!a.has_t()) {
        a.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
        a.mutable_t()->add_float_data(0.0f);
      }
      mutate_tensor(*a.mutable_t(), rng);
      break;
    default:
      break;
  }
}

onnx::NodeProto* random_node(onnx::GraphProto& g, Rng& rng) {
  return g.node_size() ? g.mutable_node(static_cast<int>(pick(rng, g.node_size()))) : nullptr;
}

void mutate_attribute(onnx::GraphProto& g, Rng& rng) {
  onnx::NodeProto* node = random_node(g, rng);
  if (!node) return;
  if (node->attribute_size() == 0 || chance(rng, 15)) {
    const KnownAttribute& known = kKnownAttributes[pick(rng, std::size(kKnownAttributes))];
    onnx::AttributeProto* a = nullptr;
    for (auto& existing : *node->mutable_attribute())
      if (existing.name() == known.name) a = &existing;
    if (!a) {
      a = node->add_attribute();
      a->set_name(known.name);
      a->set_type(known.type);
    }
    set_random_value(*a, rng);
    return;
  }
  const int i = static_cast<int>(pick(rng, node->attribute_size()));
  if (chance(rng, 8)) {
    node->mutable_attribute()->DeleteSubrange(i, 1);
    return;
  }
  onnx::AttributeProto& a = *node->mutable_attribute(i);
  // Several edits of one INTS attribute reach combinations (kernel and stride together).
  const int edits = a.type() == onnx::AttributeProto::INTS ? 1 + static_cast<int>(pick(rng, 2)) : 1;
  for (int e = 0; e < edits; ++e) set_random_value(a, rng);
}

// Inputs fed at run time: graph inputs; initializers among them are their values.
void mutate_input_dims(onnx::GraphProto& g, Rng& rng) {
  if (g.input_size() == 0) return;
  onnx::ValueInfoProto& vi = *g.mutable_input(static_cast<int>(pick(rng, g.input_size())));
  for (auto& t : *g.mutable_initializer())
    if (t.name() == vi.name())
      return chance(rng, 50) ? resize_tensor(t, rng) : mutate_tensor(t, rng);
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  auto* shape = tt->mutable_shape();
  switch (pick(rng, 6)) {
    case 0:
      shape->add_dim()->set_dim_value(interesting_dim(rng));
      break;
    case 1:
      if (shape->dim_size()) shape->mutable_dim()->RemoveLast();
      break;
    case 2:
      if (shape->dim_size())
        shape->mutable_dim(static_cast<int>(pick(rng, shape->dim_size())))->set_dim_param("N");
      break;
    case 3:
      tt->set_elem_type(static_cast<int>(1 + pick(rng, 13)));
      break;
    default:
      if (shape->dim_size())
        shape->mutable_dim(static_cast<int>(pick(rng, shape->dim_size())))
            ->set_dim_value(interesting_dim(rng));
      break;
  }
}

// Initializers that are not graph inputs are constants (weights, shapes, axes).
void mutate_initializer(onnx::GraphProto& g, Rng& rng) {
  if (g.initializer_size() == 0) return;
  mutate_tensor(*g.mutable_initializer(static_cast<int>(pick(rng, g.initializer_size()))), rng);
}

// Turns a constant into a run-time input or back: constants reach the packed and sparse
// kernels and constant folding, run-time inputs the kernels that read shapes at run time.
void toggle_fed_initializer(onnx::GraphProto& g, Rng& rng) {
  if (g.initializer_size() == 0) return;
  const onnx::TensorProto& t = g.initializer(static_cast<int>(pick(rng, g.initializer_size())));
  for (int i = 0; i < g.input_size(); ++i)
    if (g.input(i).name() == t.name()) {
      g.mutable_input()->DeleteSubrange(i, 1);
      return;
    }
  onnx::ValueInfoProto* vi = g.add_input();
  vi->set_name(t.name());
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(t.data_type());
  for (int64_t d : t.dims()) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

// Ops that take the same inputs, so swapping one for another keeps the graph plausible.
constexpr const char* kOpFamilies[][8] = {
    {"MaxPool", "AveragePool", "LpPool", nullptr},
    {"GlobalAveragePool", "GlobalMaxPool", "Identity", nullptr},
    {"DepthToSpace", "SpaceToDepth", nullptr},
    {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu"},
    {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg"},
    {"Softmax", "LogSoftmax", "Hardmax", "Flatten", "ArgMax", "ArgMin", nullptr},
    {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
     "ReduceLogSumExp", nullptr},
    {"Squeeze", "Unsqueeze", "Reshape", "Expand", "Tile", nullptr},
    {"Gemm", "MatMul", nullptr},
    {"QuantizeLinear", "DequantizeLinear", nullptr},
    {"Equal", "Less", "Greater", "And", "Or", nullptr},
    {"Conv", "ConvTranspose", nullptr},
    {"BatchNormalization", "InstanceNormalization", "LayerNormalization", nullptr},
};

// sinter's own fused convolutions, which a file may hold too (domain "sinter"): a plain Conv
// becomes one of them and back, a ConvMaxPool with a pool window to start from.
bool swap_fused_conv(onnx::NodeProto& node, Rng& rng) {
  const bool own = node.domain() == "sinter";
  const std::string& op = node.op_type();
  if (!(op == "Conv" && !own) && !(own && (op == "FusedConv" || op == "ConvMaxPool"))) return false;
  if (!own && chance(rng, 50)) return false;  // half the time, Conv's ONNX family instead
  static const char* const kTypes[] = {"Conv", "FusedConv", "ConvMaxPool"};
  const std::string type = kTypes[pick(rng, 3)];
  node.set_op_type(type);
  node.set_domain(type == "Conv" ? "" : "sinter");
  if (type != "ConvMaxPool") return true;
  for (const auto& a : node.attribute())
    if (a.name() == "pool_kernel_shape") return true;
  const int64_t k = 2 + static_cast<int64_t>(pick(rng, 2));
  onnx::AttributeProto* kernel = node.add_attribute();
  kernel->set_name("pool_kernel_shape");
  kernel->set_type(onnx::AttributeProto::INTS);
  kernel->add_ints(k);
  kernel->add_ints(k);
  onnx::AttributeProto* strides = node.add_attribute();
  strides->set_name("pool_strides");
  strides->set_type(onnx::AttributeProto::INTS);
  strides->add_ints(2);
  strides->add_ints(2);
  return true;
}

void swap_op_type(onnx::GraphProto& g, Rng& rng) {
  onnx::NodeProto* node = random_node(g, rng);
  if (!node || swap_fused_conv(*node, rng)) return;
  for (const auto& family : kOpFamilies) {
    size_t size = 0;
    bool member = false;
    for (; size < 8 && family[size]; ++size) member = member || node->op_type() == family[size];
    if (member) {
      node->set_op_type(family[pick(rng, size)]);
      return;
    }
  }
}

// Rewires one node input to another value of the graph, or drops it (an omitted optional input).
void rewire_input(onnx::GraphProto& g, Rng& rng) {
  onnx::NodeProto* node = random_node(g, rng);
  if (!node || node->input_size() == 0) return;
  std::vector<std::string> values;
  for (const auto& in : g.input()) values.push_back(in.name());
  for (const auto& t : g.initializer()) values.push_back(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) values.push_back(o);
  const int i = static_cast<int>(pick(rng, node->input_size()));
  if (chance(rng, 20) || values.empty()) {
    node->set_input(i, "");
  } else {
    node->set_input(i, values[pick(rng, values.size())]);
  }
}

void mutate_opset(onnx::ModelProto& m, Rng& rng) {
  static const int64_t versions[] = {1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22};
  for (auto& op : *m.mutable_opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx")
      op.set_version(versions[pick(rng, std::size(versions))]);
}

}  // namespace

void mutate_model(onnx::ModelProto& model, std::mt19937_64& rng) {
  onnx::GraphProto& g = *model.mutable_graph();
  const int edits = 1 + static_cast<int>(pick(rng, 3));
  for (int e = 0; e < edits; ++e) {
    const size_t what = pick(rng, 100);
    if (what < 40) {
      mutate_attribute(g, rng);
    } else if (what < 58) {
      mutate_input_dims(g, rng);
    } else if (what < 76) {
      mutate_initializer(g, rng);
    } else if (what < 84) {
      toggle_fed_initializer(g, rng);
    } else if (what < 91) {
      swap_op_type(g, rng);
    } else if (what < 97) {
      rewire_input(g, rng);
    } else {
      mutate_opset(model, rng);
    }
  }
}

}  // namespace sinter::fuzz
