// Writes the seed corpus of the model fuzz target: every test model of libonnx-testdata with its
// first test's inputs attached as initializers (model_case.h). The first input stays a graph
// input, fed at run time; the others become constants, as weights, shapes and axes are in real
// models (the mutator moves them back and forth).
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
  std::printf("make_seed_corpus: %d seeds in %s (%d test dirs skipped)\n", written, out.c_str(),
              skipped);
  return written > 0 ? 0 : 1;
}
