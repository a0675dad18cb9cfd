#include "train/model_zoo.h"

#include <cmath>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/error.h"
#include "ir/graph_builder.h"

namespace sinter {
namespace {

// GraphBuilder plus seeded PyTorch-default initialization, one call per PyTorch module. Nodes
// that belong to a module are named after it, so profiles and errors read "layer2.0.conv1".
class ZooBuilder {
 public:
  explicit ZooBuilder(uint64_t seed) : rng_(seed) {}

  // "image" [N, c, size, size], N dynamic.
  std::string image(int64_t c, int64_t size) {
    return b_.input("image", DType::kFloat32, {-1, c, size, size});
  }

  // nn.Conv2d(cin, cout, k, stride, pad, bias).
  std::string conv(const std::string& name, const std::string& x, int64_t cin, int64_t cout,
                   int64_t k, int64_t stride, int64_t pad, bool bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(cin * k * k));
    std::vector<std::string> in = {x,
                                   b_.weight(name + ".weight", uniform({cout, cin, k, k}, bound))};
    if (bias) in.push_back(b_.weight(name + ".bias", uniform({cout}, bound)));
    return named(name, b_.node("Conv", std::move(in),
                               {{"kernel_shape", std::vector<int64_t>{k, k}},
                                {"strides", std::vector<int64_t>{stride, stride}},
                                {"pads", std::vector<int64_t>{pad, pad, pad, pad}}}));
  }

  // nn.BatchNorm2d(c) in eval mode.
  std::string bn(const std::string& name, const std::string& x, int64_t c) {
    auto filled = [c](float v) {
      return Tensor::from_vector<float>({c}, std::vector<float>(c, v));
    };
    std::vector<std::string> in = {x, b_.weight(name + ".weight", filled(1.0f)),
                                   b_.weight(name + ".bias", filled(0.0f)),
                                   b_.weight(name + ".running_mean", filled(0.0f)),
                                   b_.weight(name + ".running_var", filled(1.0f))};
    // ONNX momentum weighs the old running value: 1 - PyTorch's 0.1.
    return named(name, b_.node("BatchNormalization", std::move(in),
                               {{"epsilon", 1e-5f}, {"momentum", 0.9f}}));
  }

  // nn.Linear(in, out): Gemm with weight [out, in] and transB=1.
  std::string linear(const std::string& name, const std::string& x, int64_t in, int64_t out) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    auto w = b_.weight(name + ".weight", uniform({out, in}, bound));
    auto bias = b_.weight(name + ".bias", uniform({out}, bound));
    return named(name, b_.node("Gemm", {x, w, bias}, {{"transB", int64_t{1}}}));
  }

  std::string relu(const std::string& x) { return b_.node("Relu", {x}); }
  std::string max_pool2(const std::string& x) {
    return b_.node(
        "MaxPool", {x},
        {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  }
  std::string flatten(const std::string& x) {
    return b_.node("Flatten", {x}, {{"axis", int64_t{1}}});
  }
  // Opset 13's ratio input defaults to 0.5, so no (non-trainable) initializer is needed.
  std::string dropout(const std::string& x) { return b_.node("Dropout", {x}); }
  std::string add(const std::string& a, const std::string& c) { return b_.node("Add", {a, c}); }
  std::string global_average_pool(const std::string& x) {
    return b_.node("GlobalAveragePool", {x});
  }

  // The last node's output becomes "logits" [N, num_classes].
  Graph finish(const std::string& model_name, int64_t num_classes) {
    b_.output(b_.last_outputs()[0]);
    Graph g = b_.build();
    g.name = model_name;
    for (Node& n : g.nodes) {
      auto it = module_of_output_.find(n.outputs[0]);
      if (it != module_of_output_.end()) n.name = it->second;
    }
    g.nodes.back().outputs[0] = "logits";
    g.outputs = {"logits"};
    g.types["logits"] = {DType::kFloat32, {-1, num_classes}, true};
    return g;
  }

 private:
  std::string named(const std::string& module, std::string out) {
    module_of_output_[out] = module;
    return out;
  }

  // Uniform in [-bound, bound) from the generator's raw 64-bit output (53 bits -> [0, 1)), not
  // std::uniform_real_distribution, whose algorithm differs between standard libraries.
  Tensor uniform(Shape shape, double bound) {
    Tensor t(DType::kFloat32, std::move(shape));
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
      p[i] = static_cast<float>((2.0 * u - 1.0) * bound);
    }
    return t;
  }

  GraphBuilder b_{13};
  std::mt19937_64 rng_;
  std::unordered_map<std::string, std::string> module_of_output_;
};

void require(bool ok, const std::string& model, const std::string& what) {
  if (!ok) throw InputError(cat("zoo model '", model, "': ", what));
}

Graph build_mlp(const ModelZooOptions& o) {
  ZooBuilder z(o.seed);
  const int64_t in = o.in_channels * o.image_size * o.image_size;
  auto x = z.flatten(z.image(o.in_channels, o.image_size));
  x = z.relu(z.linear("fc1", x, in, 256));
  x = z.relu(z.linear("fc2", x, 256, 128));
  z.linear("fc3", x, 128, o.num_classes);
  return z.finish("mlp", o.num_classes);
}

Graph build_lenet5(const ModelZooOptions& o) {
  // 28 -> conv pad 2 -> 28 -> pool -> 14 -> conv -> 10 -> pool -> 5.
  const int64_t s = (o.image_size / 2 - 4) / 2;
  require(s >= 1, "lenet5", cat("image_size ", o.image_size, " is too small (at least 12)"));
  ZooBuilder z(o.seed);
  auto x = z.image(o.in_channels, o.image_size);
  x = z.max_pool2(z.relu(z.conv("conv1", x, o.in_channels, 6, 5, 1, 2, true)));
  x = z.max_pool2(z.relu(z.conv("conv2", x, 6, 16, 5, 1, 0, true)));
  x = z.flatten(x);
  x = z.relu(z.linear("fc1", x, 16 * s * s, 120));
  x = z.relu(z.linear("fc2", x, 120, 84));
  z.linear("fc3", x, 84, o.num_classes);
  return z.finish("lenet5", o.num_classes);
}

Graph build_vgg_small(const ModelZooOptions& o) {
  const int64_t s = o.image_size / 4;
  require(s >= 1, "vgg-small", cat("image_size ", o.image_size, " is too small (at least 4)"));
  ZooBuilder z(o.seed);
  auto x = z.image(o.in_channels, o.image_size);
  int layer = 0;
  auto conv_bn_relu = [&](const std::string& in, int64_t cin, int64_t cout) {
    ++layer;
    auto y = z.conv(cat("conv", layer), in, cin, cout, 3, 1, 1, false);  // BN has the bias
    return z.relu(z.bn(cat("bn", layer), y, cout));
  };
  x = conv_bn_relu(x, o.in_channels, 32);
  x = z.max_pool2(conv_bn_relu(x, 32, 32));
  x = conv_bn_relu(x, 32, 64);
  x = z.max_pool2(conv_bn_relu(x, 64, 64));
  x = z.flatten(x);
  x = z.dropout(z.relu(z.linear("fc1", x, 64 * s * s, 256)));
  z.linear("fc2", x, 256, o.num_classes);
  return z.finish("vgg-small", o.num_classes);
}

// torchvision-style BasicBlock; the projection shortcut is "downsample.0" (1x1 conv) and
// "downsample.1" (BN).
std::string basic_block(ZooBuilder& z, const std::string& prefix, const std::string& x, int64_t cin,
                        int64_t cout, int64_t stride) {
  auto y = z.conv(prefix + ".conv1", x, cin, cout, 3, stride, 1, false);
  y = z.relu(z.bn(prefix + ".bn1", y, cout));
  y = z.conv(prefix + ".conv2", y, cout, cout, 3, 1, 1, false);
  y = z.bn(prefix + ".bn2", y, cout);
  std::string shortcut = x;
  if (stride != 1 || cin != cout) {
    shortcut = z.conv(prefix + ".downsample.0", x, cin, cout, 1, stride, 0, false);
    shortcut = z.bn(prefix + ".downsample.1", shortcut, cout);
  }
  return z.relu(z.add(y, shortcut));
}

Graph build_resnet20(const ModelZooOptions& o) {
  ZooBuilder z(o.seed);
  auto x = z.image(o.in_channels, o.image_size);
  x = z.relu(z.bn("bn1", z.conv("conv1", x, o.in_channels, 16, 3, 1, 1, false), 16));
  int64_t cin = 16;
  const int64_t widths[] = {16, 32, 64};
  for (int stage = 0; stage < 3; ++stage) {
    for (int block = 0; block < 3; ++block) {
      const int64_t stride = stage > 0 && block == 0 ? 2 : 1;
      x = basic_block(z, cat("layer", stage + 1, ".", block), x, cin, widths[stage], stride);
      cin = widths[stage];
    }
  }
  x = z.flatten(z.global_average_pool(x));
  z.linear("fc", x, 64, o.num_classes);
  return z.finish("resnet20", o.num_classes);
}

struct ZooEntry {
  const char* name;
  Graph (*build)(const ModelZooOptions&);
};

constexpr ZooEntry kZoo[] = {{"mlp", build_mlp},
                             {"lenet5", build_lenet5},
                             {"vgg-small", build_vgg_small},
                             {"resnet20", build_resnet20}};

}  // namespace

std::vector<std::string> zoo_model_names() {
  std::vector<std::string> names;
  for (const ZooEntry& e : kZoo) names.emplace_back(e.name);
  return names;
}

Graph build_zoo_model(const std::string& name, const ModelZooOptions& options) {
  require(options.num_classes >= 1 && options.in_channels >= 1 && options.image_size >= 1, name,
          cat("num_classes, in_channels and image_size must be positive (got ", options.num_classes,
              ", ", options.in_channels, ", ", options.image_size, ")"));
  for (const ZooEntry& e : kZoo)
    if (name == e.name) return e.build(options);
  std::string known;
  for (const ZooEntry& e : kZoo) known += (known.empty() ? "" : ", ") + std::string(e.name);
  throw InputError(cat("unknown zoo model '", name, "'; known models: ", known));
}

int64_t count_parameters(const Graph& g) {
  std::unordered_set<std::string> buffers;
  for (const Node& n : g.nodes)
    if (n.op_type == "BatchNormalization" && n.domain.empty())
      for (size_t i = 3; i < n.inputs.size() && i < 5; ++i) buffers.insert(n.inputs[i]);
  int64_t total = 0;
  for (const auto& [name, t] : g.initializers) {
    const DType d = t.dtype();
    const bool is_float = d == DType::kFloat32 || d == DType::kFloat64 || d == DType::kFloat16;
    if (is_float && !buffers.count(name)) total += t.numel();
  }
  return total;
}

}  // namespace sinter
