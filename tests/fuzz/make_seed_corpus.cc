// Writes the seed corpus of the model fuzz target: every test model of libonnx-testdata with its
// first test's inputs attached as initializers (model_case.h). The first input stays a graph
// input, fed at run time; the others become constants, as weights, shapes and axes are in real
// models (the mutator moves them back and forth). Plus patterns the test data lacks that the
// optimizer rewrites: an image stem (3-channel conv, Relu, max pool), fused into one node.
// usage: make_seed_corpus OUT_DIR TESTDATA_DIR...
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace {

// Seeds above this size would slow every mutation; no node test comes close.
constexpr size_t kMaxSeedBytes = 200 * 1024;

bool read_proto(const fs::path& path, google::protobuf::MessageLite& proto) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return in.good() || in.eof() ? proto.ParseFromString(bytes) : false;
}

// The seed for one test directory, or "" when it has no usable model or inputs.
std::string seed_for(const fs::path& dir) {
  onnx::ModelProto model;
  if (!read_proto(dir / "model.onnx", model)) return "";
  onnx::GraphProto& g = *model.mutable_graph();
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  int fed = 0;
  for (int i = 0; i < g.input_size();) {
    const std::string name = g.input(i).name();
    if (initializers.count(name)) {
      ++i;
      continue;
    }
    onnx::TensorProto value;
    if (!read_proto(dir / "test_data_set_0" / ("input_" + std::to_string(fed) + ".pb"), value))
      return "";
    value.set_name(name);
    *g.add_initializer() = value;
    if (fed++ == 0) {
      ++i;
    } else {
      g.mutable_input()->DeleteSubrange(i, 1);
    }
  }
  std::string bytes;
  return model.SerializeToString(&bytes) && bytes.size() <= kMaxSeedBytes ? bytes : "";
}

// x [1, 3, 20, 23] -> Conv 3x3/2 pad 1 (8 filters, bias) -> Relu -> MaxPool 3x3/2 ceil_mode.
std::string stem_seed() {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name("stem");
  auto value_info = [](onnx::ValueInfoProto* v, const char* name, std::initializer_list<int> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  };
  value_info(g.add_input(), "x", {1, 3, 20, 23});
  value_info(g.add_output(), "y", {});
  g.mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto constant = [&](const char* name, std::initializer_list<int> dims) {
    onnx::TensorProto& t = *g.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    int n = 1;
    for (int d : dims) {
      t.add_dims(d);
      n *= d;
    }
    for (int i = 0; i < n; ++i) t.add_float_data(static_cast<float>((i * 37) % 19 - 9) / 9.0f);
  };
  constant("w", {8, 3, 3, 3});
  constant("b", {8});
  auto node = [&](const char* op, std::initializer_list<const char*> in, const char* out) {
    onnx::NodeProto& n = *g.add_node();
    n.set_op_type(op);
    n.set_name(out);
    for (const char* i : in) n.add_input(i);
    n.add_output(out);
    return &n;
  };
  auto ints = [](onnx::NodeProto* n, const char* name, std::initializer_list<int> values) {
    onnx::AttributeProto& a = *n->add_attribute();
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INTS);
    for (int v : values) a.add_ints(v);
  };
  onnx::NodeProto* conv = node("Conv", {"x", "w", "b"}, "c");
  ints(conv, "strides", {2, 2});
  ints(conv, "pads", {1, 1, 1, 1});
  node("Relu", {"c"}, "r");
  onnx::NodeProto* pool = node("MaxPool", {"r"}, "y");
  ints(pool, "kernel_shape", {3, 3});
  ints(pool, "strides", {2, 2});
  onnx::AttributeProto& ceil = *pool->add_attribute();
  ceil.set_name("ceil_mode");
  ceil.set_type(onnx::AttributeProto::INT);
  ceil.set_i(1);
  std::string bytes;
  return model.SerializeToString(&bytes) ? bytes : "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_seed_corpus OUT_DIR TESTDATA_DIR...\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  int written = 0, skipped = 0;
  for (int a = 2; a < argc; ++a) {
    if (!fs::is_directory(argv[a])) continue;
    for (const auto& entry : fs::directory_iterator(argv[a])) {
      const std::string seed = seed_for(entry.path());
      if (seed.empty()) {
        ++skipped;
        continue;
      }
      std::ofstream(out / (entry.path().filename().string() + ".onnx"), std::ios::binary) << seed;
      ++written;
    }
  }
  if (const std::string stem = stem_seed(); !stem.empty()) {
    std::ofstream(out / "image_stem.onnx", std::ios::binary) << stem;
    ++written;
  }
  std::printf("make_seed_corpus: %d seeds in %s (%d test dirs skipped)\n", written, out.c_str(),
              skipped);
  return written > 0 ? 0 : 1;
}
