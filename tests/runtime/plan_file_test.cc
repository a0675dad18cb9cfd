// Plan files: a plan loaded from its file gives outputs bit-identical to compiling the model, at
// every ISA tier this CPU runs; a truncated, damaged, altered or foreign file is refused with a
// ModelError that says why, and nothing runs.
#include "runtime/plan_file.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "../kernels/isa_tiers.h"
#include "../kernels/sparse_test_util.h"
#include "core/error.h"
#include "ir/graph_builder.h"
#include "train/model_zoo.h"

namespace sinter::testing {
namespace {

using Json = nlohmann::ordered_json;
using Inputs = std::unordered_map<std::string, Tensor>;

Tensor tensor_of(Shape shape, const std::vector<float>& v) {
  return Tensor::from_vector<float>(std::move(shape), v);
}

// A pattern-pruned 3x3 conv and a 90 %-sparse fully connected layer after a dense stem: the sparse
// kernels and their structures go through the plan too.
Graph pruned_model() {
  std::mt19937 rng(5);
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 16, 12, 12});
  auto w1 = b.weight("w1", tensor_of({32, 16, 3, 3}, random_floats(rng, 32 * 16 * 9)));
  auto c1 = b.node("Relu", {b.node("Conv", {x, w1}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}})});
  auto w2 = b.weight("w2", tensor_of({32, 32, 3, 3}, random_pattern_weights(rng, 32 * 32, 4)));
  auto c2 = b.node("Conv", {c1, w2}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto flat = b.node("Flatten", {b.node("Relu", {c2})});
  auto fc = b.weight("fc", tensor_of({32 * 144, 10}, random_sparse(rng, 32 * 144 * 10, 0.1)));
  b.output(b.node("Gemm", {flat, fc}));
  return b.build();
}

Inputs random_inputs(const Graph& g, int64_t batch) {
  std::mt19937 rng(11);
  Inputs inputs;
  for (const auto& name : g.inputs) {
    Shape shape = g.type_of(name)->shape;
    if (shape[0] < 0) shape[0] = batch;
    inputs[name] = tensor_of(shape, random_floats(rng, shape_numel(shape)));
  }
  return inputs;
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "." + std::to_string(::getpid()) + ".splan"))
      .string();
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Restores the ISA cap a test changed.
struct IsaCapGuard {
  Isa saved = active_isa();
  ~IsaCapGuard() { set_isa_cap(saved); }
};

struct Models {
  std::string name;
  Graph graph;
};

std::vector<Models> models() {
  return {{"vgg-small", build_zoo_model("vgg-small")},
          {"resnet20", build_zoo_model("resnet20")},
          {"pruned", pruned_model()}};
}

TEST(PlanFile, LoadedPlansGiveBitIdenticalOutputsAtEveryTier) {
  IsaCapGuard guard;
  for (Isa isa : tested_isas()) {
    set_isa_cap(isa);
    for (const auto& [name, g] : models()) {
      for (int threads : {1, 2}) {
        SCOPED_TRACE(cat(name, " at ", isa_name(isa), ", ", threads, " threads"));
        const Inputs inputs = random_inputs(g, 2);
        SessionOptions options;
        options.threads = threads;
        const std::string path = temp_path("roundtrip");
        PlanFileInfo written;
        auto compiled = compile_plan_file(g, inputs, options, name, path, &written);
        const Tensor expected = Session(g, options).run(inputs)[0];
        ASSERT_TRUE(bit_identical(compiled->run(inputs)[0], expected));
        PlanFileInfo read;
        auto loaded = load_plan_file(path, {}, &read);
        EXPECT_TRUE(bit_identical(loaded->run(inputs)[0], expected));
        EXPECT_EQ(read.isa, isa_name(isa));
        EXPECT_EQ(read.threads, threads);
        EXPECT_EQ(read.file_bytes, written.file_bytes);
        EXPECT_EQ(read.prepacked_bytes, written.prepacked_bytes);
        EXPECT_EQ(loaded->plan().steps().size(), compiled->plan().steps().size());
        for (size_t i = 0; i < loaded->plan().steps().size(); ++i)
          EXPECT_EQ(loaded->plan().steps()[i].kernel_name, compiled->plan().steps()[i].kernel_name);
        // Packed GEMM and Winograd weights are in the file, not packed again.
        if (name == "vgg-small") {
          EXPECT_GT(read.prepacked_bytes, 0);
        }
        // A plan runs with other thread counts than it was compiled for (its kernels may split
        // the work otherwise, so the sums may round differently).
        const Tensor three = load_plan_file(path, {3})->run(inputs)[0];
        ASSERT_EQ(three.shape(), expected.shape());
        for (int64_t i = 0; i < three.numel(); ++i)
          EXPECT_NEAR(three.data<float>()[i], expected.data<float>()[i],
                      1e-4f * (1 + std::abs(expected.data<float>()[i])));
        std::filesystem::remove(path);
      }
    }
  }
}

TEST(PlanFile, SameModelCompiledTwiceGivesTheSameFile) {
  const Graph g = build_zoo_model("lenet5");
  const Inputs inputs = random_inputs(g, 1);
  const std::string a = temp_path("twice_a"), b = temp_path("twice_b");
  compile_plan_file(g, inputs, {}, "lenet5", a);
  compile_plan_file(g, inputs, {}, "lenet5", b);
  EXPECT_EQ(read_file(a), read_file(b));
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

// A compiled plan's bytes, and a way to rewrite its header as a tool would (checksum fixed), to
// check what the loader does with well-formed files that claim the wrong things.
class PlanFileRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    graph_ = build_zoo_model("vgg-small");
    inputs_ = random_inputs(graph_, 1);
    const std::string path = temp_path("refusal");
    compile_plan_file(graph_, inputs_, {}, "vgg-small", path);
    bytes_ = read_file(path);
    std::filesystem::remove(path);
  }

  Json header() const {
    uint64_t size = 0;
    std::memcpy(&size, bytes_.data() + 16, 8);
    return Json::parse(bytes_.substr(32, size));
  }

  // The first step whose kernel keeps packed weights in the file.
  size_t packed_step() const {
    const Json h = header();
    for (size_t i = 0; i < h["steps"].size(); ++i)
      if (!h["steps"][i]["prepacked"].empty()) return i;
    ADD_FAILURE() << "no step keeps packed weights";
    return 0;
  }

  // The plan with its header replaced by `edit(header)`, padded into the same room.
  std::string with_header(const std::function<void(Json&)>& edit) const {
    Json h = header();
    edit(h);
    const std::string text = h.dump();
    const uint64_t room = h["graph"]["offset"].get<uint64_t>() - 32;
    EXPECT_LE(text.size(), room);
    std::string out = bytes_;
    const uint64_t size = text.size(), hash = XXH3_64bits(text.data(), text.size());
    std::memcpy(out.data() + 16, &size, 8);
    std::memcpy(out.data() + 24, &hash, 8);
    out.replace(32, text.size(), text);
    return out;
  }

  // The loader's error for `bytes` (empty when it loads and runs).
  std::string error_of(const std::string& bytes) const {
    try {
      load_plan_bytes(bytes.data(), bytes.size(), "p.splan")->run(inputs_);
      return "";
    } catch (const ModelError& e) {
      return e.what();
    }
  }

  Graph graph_;
  Inputs inputs_;
  std::string bytes_;
};

TEST_F(PlanFileRefusal, TheUnchangedFileLoads) { EXPECT_EQ(error_of(bytes_), ""); }

TEST_F(PlanFileRefusal, TruncatedFiles) {
  for (size_t size : {size_t{0}, size_t{7}, size_t{31}, size_t{40}, bytes_.size() / 3,
                      bytes_.size() / 2, bytes_.size() - 1}) {
    SCOPED_TRACE(size);
    const std::string error = error_of(bytes_.substr(0, size));
    EXPECT_TRUE(error.find("p.splan: ") == 0 && (error.find("truncated") != std::string::npos ||
                                                 error.find("too short") != std::string::npos))
        << error;
  }
}

TEST_F(PlanFileRefusal, DamagedBytesFailTheirChecksum) {
  std::string header_damaged = bytes_;
  header_damaged[40] ^= 1;
  EXPECT_NE(error_of(header_damaged).find("header is damaged"), std::string::npos);
  const Json h = header();
  for (const Json& section :
       {h["graph"], h["initializers"][0], h["steps"][packed_step()]["prepacked"][0]}) {
    std::string damaged = bytes_;
    damaged[section["offset"].get<size_t>() + section["bytes"].get<size_t>() / 2] ^= 0x10;
    EXPECT_NE(error_of(damaged).find("damaged (checksum mismatch)"), std::string::npos)
        << error_of(damaged);
  }
}

TEST_F(PlanFileRefusal, ForeignFiles) {
  EXPECT_NE(error_of(std::string(100, 'x')).find("not a sinter plan file"), std::string::npos);
  std::string other_format = bytes_;
  other_format[8] = 9;
  EXPECT_NE(error_of(other_format).find("plan file format 9"), std::string::npos);
  EXPECT_NE(error_of(with_header([](Json& h) {
              h["sinter_version"] = "0.0.1";
            })).find("compiled by sinter '0.0.1'; this is sinter"),
            std::string::npos);
  EXPECT_NE(error_of(with_header([](Json& h) {
              h["layout"] = "sgemm other 4x8";
            })).find("its packed weights are laid out as 'sgemm other 4x8'"),
            std::string::npos);
  // Text from the file stays on one line in a message.
  const std::string escaped = error_of(with_header([](Json& h) { h["isa"] = "a\nb"; }));
  EXPECT_EQ(escaped.find('\n'), std::string::npos) << escaped;
  EXPECT_NE(escaped.find("'a\\x0ab'"), std::string::npos) << escaped;
  const std::string other_isa = active_isa() == Isa::kPortable ? "avx2" : "portable";
  const std::string error = error_of(with_header([&](Json& h) { h["isa"] = other_isa; }));
  EXPECT_NE(error.find("compiled for the '" + other_isa + "' tier"), std::string::npos) << error;
  if (other_isa == "portable") {
    EXPECT_NE(error.find("--isa portable"), std::string::npos);
  }
}

TEST_F(PlanFileRefusal, ClaimsThatDoNotFitTheGraph) {
  auto error_with = [&](const std::function<void(Json&)>& edit) {
    return error_of(with_header(edit));
  };
  const size_t p = packed_step();
  EXPECT_NE(error_with([](Json& h) {
              h["steps"].erase(h["steps"].size() - 1);
            }).find("steps for a graph of"),
            std::string::npos);
  EXPECT_NE(error_with([](Json& h) { h["steps"][0]["node"] = "elsewhere"; }).find("is for node"),
            std::string::npos);
  EXPECT_NE(error_with([](Json& h) {
              h["steps"][0]["impl"] = "reference";
            }).find("names kernel 'reference'"),
            std::string::npos);
  EXPECT_NE(error_with([&](Json& h) {
              h["steps"][p]["prepacked"][0]["bytes"] =
                  h["steps"][p]["prepacked"][0]["bytes"].get<int64_t>() - 4;
            }).find("bytes where the kernel needs"),
            std::string::npos);
  EXPECT_NE(error_with([&](Json& h) {
              h["steps"][p]["prepacked"] = Json::array();
            }).find("needs packed weights the plan does not hold"),
            std::string::npos);
  EXPECT_NE(
      error_with([](Json& h) { h["memory"]["arena_bytes"] = 12; }).find("memory plan differs"),
      std::string::npos);
  EXPECT_NE(error_with([](Json& h) {
              h["initializers"][0]["shape"] = Shape{3};
            }).find("do not match its shape"),
            std::string::npos);
  EXPECT_NE(
      error_with([](Json& h) { h["initializers"][0]["offset"] = 1ull << 60; }).find("truncated"),
      std::string::npos);
  EXPECT_NE(error_with([](Json& h) { h.erase("memory"); }).find("malformed plan header"),
            std::string::npos);
  EXPECT_NE(error_with([](Json& h) { h["threads"] = "two"; }).find("malformed plan header"),
            std::string::npos);
}

// Two copies that do not split across threads (Pad's kernel is serial), so the schedulers run them
// side by side whatever they measure, then an Add. The tests take the greedy schedule, which a
// session keeps as it is: IOS's is kept only where it wins a timed trial, which a loaded machine
// can lose.
Graph two_pads() {
  GraphBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 16, 160, 160});
  auto pads = b.weight("pads", Tensor::from_vector<int64_t>({8}, {0, 0, 1, 1, 0, 0, 1, 1}));
  auto one = b.weight("one", tensor_of({}, {1.0f}));
  b.output(b.node("Add", {b.node("Pad", {x, pads}), b.node("Pad", {x, pads, one})}));
  return b.build();
}

TEST(PlanFile, KeepsItsInterOperatorSchedule) {
  const Graph g = two_pads();
  const Inputs inputs = random_inputs(g, 1);
  SessionOptions options;
  options.threads = 2;
  const Tensor expected = Session(g, options).run(inputs)[0];
  options.schedule = InterOpScheduling::kGreedy;
  auto session = std::make_unique<Session>(g, options);
  session->prepare(inputs);
  ASSERT_TRUE(session->plan().schedule().concurrent());
  const Schedule schedule = session->plan().schedule();
  const std::string path = temp_path("scheduled");
  PlanFileInfo written;
  auto compiled =
      compile_plan_file(std::move(session), inputs, options, "two_pads", path, &written);
  EXPECT_EQ(written.schedule.how, InterOpScheduling::kGreedy);
  EXPECT_TRUE(bit_identical(compiled->run(inputs)[0], expected));
  PlanFileInfo read;
  auto loaded = load_plan_file(path, {}, &read);
  const Schedule& kept = loaded->plan().schedule();
  ASSERT_EQ(kept.stages.size(), schedule.stages.size());
  for (size_t s = 0; s < kept.stages.size(); ++s)
    for (size_t k = 0; k < kept.stages[s].groups.size(); ++k)
      EXPECT_EQ(kept.stages[s].groups[k].steps, schedule.stages[s].groups[k].steps);
  EXPECT_EQ(read.schedule_summary.rfind("greedy: ", 0), 0u) << read.schedule_summary;
  for (int r = 0; r < 10; ++r) EXPECT_TRUE(bit_identical(loaded->run(inputs)[0], expected));
  // At other thread counts the steps run in order.
  PlanFileInfo one_thread;
  auto in_order = load_plan_file(path, {1}, &one_thread);
  EXPECT_TRUE(in_order->plan().schedule().empty());
  EXPECT_NE(one_thread.schedule_summary.find("made for 2 threads"), std::string::npos);
  EXPECT_TRUE(bit_identical(in_order->run(inputs)[0], expected));
  std::filesystem::remove(path);
}

TEST_F(PlanFileRefusal, OtherInputShapesAreRefusedNotCompiled) {
  auto session = load_plan_bytes(bytes_.data(), bytes_.size(), "p.splan");
  const Inputs other = random_inputs(graph_, 2);
  EXPECT_THROW(session->run(other), InputError);
}

// Integer inputs run with any values (a plan's shapes never depend on them); a model whose
// input values decide a shape cannot be a plan file.
TEST(PlanFile, InputValuesNeverDecideAPlansShapes) {
  GraphBuilder b;
  auto table =
      b.weight("table", Tensor::from_vector<float>({6, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  auto ids = b.input("ids", DType::kInt64, {3});
  b.output(b.node("Gather", {table, ids}));
  const Graph lookup = b.build();
  const std::string path = temp_path("lookup");
  compile_plan_file(lookup, {{"ids", Tensor::from_vector<int64_t>({3}, {0, 0, 0})}}, {}, "lookup",
                    path);
  const Tensor y =
      load_plan_file(path)->run({{"ids", Tensor::from_vector<int64_t>({3}, {5, 1, 3})}})[0];
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + y.numel()),
            (std::vector<float>{10, 11, 2, 3, 6, 7}));
  std::filesystem::remove(path);

  GraphBuilder r;
  auto x = r.input("x", DType::kFloat32, {2, 6});
  auto shape = r.input("shape", DType::kInt64, {2});
  r.output(r.node("Reshape", {x, shape}));
  const Graph reshape = r.build();
  try {
    compile_plan_file(reshape,
                      {{"x", Tensor(DType::kFloat32, {2, 6})},
                       {"shape", Tensor::from_vector<int64_t>({2}, {3, 4})}},
                      {}, "reshape", path);
    ADD_FAILURE() << "compiled a plan whose shape depends on an input's values";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("depends on input values"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PlanFile, NothingIsLeftWhenWritingFails) {
  const Graph g = build_zoo_model("mlp");
  const std::string dir = temp_path("missing_dir");
  EXPECT_THROW(compile_plan_file(g, random_inputs(g, 1), {}, "mlp", dir + "/m.splan"), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(PlanFile, OnlyPlanFilesLookLikeThem) {
  const Graph g = build_zoo_model("mlp");
  const std::string path = temp_path("magic");
  compile_plan_file(g, random_inputs(g, 1), {}, "mlp", path);
  EXPECT_TRUE(is_plan_file(path));
  std::filesystem::remove(path);
  EXPECT_FALSE(is_plan_file(path));
  EXPECT_FALSE(is_plan_file("/dev/null"));
}

}  // namespace
}  // namespace sinter::testing

namespace sinter::testing {
namespace {

// A plan whose schedule runs the two copies side by side.
class ScheduledPlanRefusal : public PlanFileRefusal {
 protected:
  void SetUp() override {
    graph_ = two_pads();
    inputs_ = random_inputs(graph_, 1);
    SessionOptions options;
    options.threads = 2;
    options.schedule = InterOpScheduling::kGreedy;
    const std::string path = temp_path("scheduled_refusal");
    compile_plan_file(graph_, inputs_, options, "two_pads", path);
    bytes_ = read_file(path);
    std::filesystem::remove(path);
  }
};

TEST_F(ScheduledPlanRefusal, ImpossibleSchedulesAreRefusedInOneLine) {
  ASSERT_EQ(error_of(bytes_), "");
  ASSERT_GT(header()["schedule"]["stages"].size(), 1u);
  auto error_with = [&](const std::function<void(Json&)>& edit) {
    const std::string e = error_of(with_header(edit));
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    return e;
  };
  auto stages = [](Json& h) -> Json& { return h["schedule"]["stages"]; };
  // The Add before the copies it reads.
  EXPECT_NE(error_with([&](Json& h) {
              std::swap(stages(h)[0], stages(h)[stages(h).size() - 1]);
            }).find("p.splan: bad schedule: node"),
            std::string::npos);
  EXPECT_NE(error_with([&](Json& h) {
              stages(h)[0][0]["steps"].push_back(99);
            }).find("names step 99 of a plan of"),
            std::string::npos);
  EXPECT_NE(
      error_with([&](Json& h) { stages(h)[0][0]["steps"] = Json::array(); }).find("has no steps"),
      std::string::npos);
  EXPECT_NE(error_with([&](Json& h) { stages(h)[0][0]["threads"] = 0; }).find("asks for 0 threads"),
            std::string::npos);
  EXPECT_NE(error_with([&](Json& h) { stages(h)[0][0]["threads"] = 1 << 30; }).find("threads of 2"),
            std::string::npos);
  EXPECT_NE(
      error_with([&](Json& h) { stages(h)[0].push_back(stages(h)[0][0]); }).find("scheduled twice"),
      std::string::npos);
  EXPECT_NE(error_with([](Json& h) {
              h["schedule"]["how"] = "fastest";
            }).find("unknown schedule kind 'fastest'"),
            std::string::npos);
  EXPECT_NE(error_with([](Json& h) {
              h["schedule"]["stages"] = Json::array();
            }).find("a greedy schedule of 0 stages"),
            std::string::npos);
  EXPECT_NE(
      error_with([&](Json& h) { stages(h)[0][0]["steps"] = "all"; }).find("malformed plan header"),
      std::string::npos);
  EXPECT_NE(error_with([](Json& h) { h.erase("schedule"); }).find("malformed plan header"),
            std::string::npos);
}

}  // namespace
}  // namespace sinter::testing
