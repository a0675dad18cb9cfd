#include "runtime/plan_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/checked_math.h"
#include "core/error.h"
#include "core/isa.h"
#include "core/quoted.h"
#include "core/version.h"
#include "ir/verifier.h"
#include "kernels/gemm/sgemm_kernel.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "ops/infer_graph.h"

namespace sinter {

namespace {

using Json = nlohmann::ordered_json;

// The fixed start of a plan file: magic, format version, then the header's size and checksum.
// The JSON header follows; sections start on 64-byte boundaries after it.
constexpr char kMagic[8] = {'S', 'I', 'N', 'T', 'P', 'L', 'A', 'N'};
struct Preamble {
  char magic[8];
  uint32_t format_version;
  uint32_t reserved;
  uint64_t header_bytes;
  uint64_t header_xxh3;
};
static_assert(sizeof(Preamble) == 32);
constexpr uint64_t kAlign = 64;
// A header is a few hundred bytes a node; a larger claim is a damaged file, not a plan.
constexpr uint64_t kMaxHeaderBytes = 256ull << 20;

uint64_t checksum(const void* data, size_t bytes) { return XXH3_64bits(data, bytes); }

// How this build lays out packed weights: the GEMM tile of the active tier (a plan's buffers are
// only valid for the same one; a sinter version alone does not pin it during development).
std::string packing_layout() {
  const gemm::KernelSet& ks = gemm::active_kernel_set();
  return cat("sgemm ", ks.name, " ", ks.mr, "x", ks.nr, " kc ", ks.kc, "; winograd F(4x4,3x3)");
}

// ---- writing ----

// A plan file fixes shapes for its input types alone: a model where an input's values decide a
// shape (a Reshape's target fed as an input) cannot be one.
void refuse_value_dependent_shapes(const Graph& compiled, const std::string& path) {
  Graph probe = compiled;
  infer_graph(probe);
  for (const Node& node : probe.nodes)
    for (const auto& out : node.outputs) {
      const ValueType* t = out.empty() ? nullptr : probe.type_of(out);
      if (t && (!t->has_shape || !shape_is_static(t->shape)))
        throw UnsupportedError(cat(path, ": the shape of '", out, "' (", node.describe(),
                                   ") depends on input values, which a plan file cannot fix; run "
                                   "the ONNX model instead"));
    }
}

// Records every packed buffer the kernels of one node make while a plan is compiled for saving.
class RecordingStore : public kernels::PrepackedStore {
 public:
  std::shared_ptr<float[]> next(int64_t count,
                                const std::function<std::shared_ptr<float[]>()>& make) override {
    buffers.push_back({make(), count});
    return buffers.back().first;
  }
  std::vector<std::pair<std::shared_ptr<float[]>, int64_t>> buffers;
};

// The pieces of the file in order, with the offsets they will have.
class FileLayout {
 public:
  explicit FileLayout(uint64_t start) : end_(start) {}
  // Appends `bytes` at the next 64-byte boundary; returns its offset.
  uint64_t add(std::string_view bytes) {
    pad();
    const uint64_t offset = end_;
    pieces_.push_back(bytes);
    end_ += bytes.size();
    return offset;
  }
  void pad() {
    const uint64_t aligned = (end_ + kAlign - 1) / kAlign * kAlign;
    if (aligned > end_) pieces_.push_back(std::string_view(zeros_, aligned - end_));
    end_ = aligned;
  }
  const std::vector<std::string_view>& pieces() const { return pieces_; }
  uint64_t end() const { return end_; }

 private:
  static inline const char zeros_[kAlign] = {};
  uint64_t end_;
  std::vector<std::string_view> pieces_;
};

// A section's bytes and checksum, computed once however often the file is laid out.
struct Section {
  std::string_view bytes;
  uint64_t xxh3;
};

Section section_of(std::string_view bytes) { return {bytes, checksum(bytes.data(), bytes.size())}; }

Json section_json(FileLayout& layout, const Section& s) {
  return {{"offset", layout.add(s.bytes)}, {"bytes", s.bytes.size()}, {"xxh3", s.xxh3}};
}

Json options_json(const SessionOptions& o) {
  return {{"optimize", o.optimize},
          {"sparse_kernels", o.sparse_kernels},
          {"blocked_layout", o.blocked_layout},
          {"integer_layers", o.integer_layers}};
}

Json schedule_json(const Session& session) {
  const ScheduleReport& r = session.schedule_report();
  Json stages = Json::array();
  for (const ScheduleStage& stage : session.plan().schedule().stages) {
    Json groups = Json::array();
    for (const ScheduleGroup& g : stage.groups)
      groups.push_back({{"threads", g.threads}, {"steps", g.steps}});
    stages.push_back(std::move(groups));
  }
  return {{"how", scheduling_name(r.how)},    {"merged_sets", r.merged_sets},
          {"measured", r.measured},           {"predicted_ms", r.predicted_ms},
          {"sequential_ms", r.sequential_ms}, {"stages", std::move(stages)}};
}

// The header's size is only known once the sections are laid out after it, and their offsets
// are in it: lay out with a guess, and again with the header's real size until it fits.
void write_plan(const Session& session, const std::vector<RecordingStore>& stores,
                const std::string& graph_bytes,
                const std::vector<std::pair<std::string, Tensor>>& initializers, Json header_base,
                const std::string& path, PlanFileInfo* info) {
  const Section graph = section_of(graph_bytes);
  std::vector<Section> weights;
  int64_t weight_bytes = static_cast<int64_t>(graph_bytes.size());
  for (const auto& [name, t] : initializers) {
    weights.push_back(section_of({static_cast<const char*>(t.raw()), t.nbytes()}));
    weight_bytes += static_cast<int64_t>(t.nbytes());
  }
  std::vector<std::vector<Section>> packed(stores.size());
  int64_t prepacked_bytes = 0;
  for (size_t i = 0; i < stores.size(); ++i)
    for (const auto& [buffer, count] : stores[i].buffers) {
      packed[i].push_back(section_of({reinterpret_cast<const char*>(buffer.get()),
                                      static_cast<size_t>(count) * sizeof(float)}));
      prepacked_bytes += count * static_cast<int64_t>(sizeof(float));
    }
  uint64_t reserved = 4096;
  for (;;) {
    Json header = header_base;
    FileLayout layout((sizeof(Preamble) + reserved + kAlign - 1) / kAlign * kAlign);
    header["graph"] = section_json(layout, graph);
    Json tensors = Json::array();
    for (size_t w = 0; w < initializers.size(); ++w) {
      const Tensor& t = initializers[w].second;
      Json j = section_json(layout, weights[w]);
      j["name"] = initializers[w].first;
      j["dtype"] = static_cast<int>(t.dtype());
      j["shape"] = t.shape();
      tensors.push_back(std::move(j));
    }
    header["initializers"] = std::move(tensors);
    Json steps = Json::array();
    const auto& plan_steps = session.plan().steps();
    for (size_t i = 0; i < plan_steps.size(); ++i) {
      const PlanStep& step = plan_steps[i];
      Json buffers = Json::array();
      for (const Section& b : packed[i]) buffers.push_back(section_json(layout, b));
      steps.push_back({{"node", step.node_name},
                       {"op", step.op_type},
                       {"kernel", step.kernel_name},
                       {"impl", step.impl_name},
                       {"variant", step.variant},
                       {"prepacked", std::move(buffers)}});
    }
    header["steps"] = std::move(steps);
    const Plan& plan = session.plan();
    header["memory"] = {{"arena_bytes", plan.arena_bytes()}, {"offsets", plan.arena_offsets()}};
    header["schedule"] = schedule_json(session);
    const std::string text = header.dump();
    if (text.size() > reserved) {
      reserved = text.size() * 2;
      continue;
    }
    Preamble preamble{};
    std::memcpy(preamble.magic, kMagic, sizeof kMagic);
    preamble.format_version = kPlanFormatVersion;
    preamble.header_bytes = text.size();
    preamble.header_xxh3 = checksum(text.data(), text.size());
    const std::string padding(reserved - text.size(), ' ');
    std::vector<std::string_view> pieces{
        std::string_view(reinterpret_cast<const char*>(&preamble), sizeof preamble), text, padding};
    const uint64_t head = sizeof(Preamble) + reserved;
    const std::string align((head + kAlign - 1) / kAlign * kAlign - head, '\0');
    pieces.push_back(align);
    pieces.insert(pieces.end(), layout.pieces().begin(), layout.pieces().end());
    write_file_atomically(path, pieces);
    if (info) {
      info->file_bytes = static_cast<int64_t>(layout.end());
      info->graph_bytes = weight_bytes;
      info->prepacked_bytes = prepacked_bytes;
      info->arena_bytes = static_cast<int64_t>(plan.arena_bytes());
      info->nodes = static_cast<int64_t>(plan_steps.size());
    }
    return;
  }
}

// ---- reading ----

// A plan's bytes in memory: a private mapping of the file (pages come from the page cache, and
// weights are used where they lie, not copied), or a copy of bytes given in memory. Tensors and
// packed weights are views that keep it alive.
struct PlanImage {
  const std::byte* data = nullptr;
  uint64_t size = 0;
  std::shared_ptr<std::byte> owner;
};

PlanImage map_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(cat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    throw InputError(cat(path, ": cannot read: ", std::strerror(err)));
  }
  PlanImage image;
  image.size = static_cast<uint64_t>(st.st_size);
  if (image.size == 0) {
    close(fd);
    return image;
  }
  // Read-only: constants are never written (a writable private mapping would also make
  // MAP_POPULATE copy every page).
  void* p = mmap(nullptr, image.size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  const int err = errno;
  close(fd);
  if (p == MAP_FAILED) throw InputError(cat(path, ": cannot map: ", std::strerror(err)));
  const uint64_t size = image.size;
  image.owner = std::shared_ptr<std::byte>(static_cast<std::byte*>(p),
                                           [size](std::byte* q) { munmap(q, size); });
  image.data = image.owner.get();
  return image;
}

PlanImage copy_bytes(const void* data, size_t size) {
  PlanImage image;
  image.size = size;
  image.owner = std::shared_ptr<std::byte>(
      static_cast<std::byte*>(::operator new (size + 1, std::align_val_t{kAlign})),
      [](std::byte* q) { ::operator delete (q, std::align_val_t{kAlign}); });
  if (size) std::memcpy(image.owner.get(), data, size);
  image.data = image.owner.get();
  return image;
}

// Reads a plan's header and sections, checking every claim against the image before using it.
class PlanReader {
 public:
  PlanReader(const PlanImage& image, std::string what) : image_(image), what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& why) const { throw ModelError(cat(what_, ": ", why)); }

  Json read_header() const {
    Preamble p{};
    if (image_.size < sizeof p) fail("not a sinter plan file (too short)");
    std::memcpy(&p, image_.data, sizeof p);
    if (std::memcmp(p.magic, kMagic, sizeof kMagic) != 0) fail("not a sinter plan file");
    if (p.format_version != kPlanFormatVersion)
      fail(cat("plan file format ", p.format_version, "; this sinter (", sinter_version(),
               ") reads format ", kPlanFormatVersion, ": compile the model again"));
    if (p.header_bytes > kMaxHeaderBytes || p.header_bytes > image_.size - sizeof p)
      fail("truncated plan file (the header runs past the end)");
    const auto* text = reinterpret_cast<const char*>(image_.data + sizeof p);
    if (checksum(text, p.header_bytes) != p.header_xxh3)
      fail("the plan header is damaged (checksum mismatch)");
    try {
      Json header = Json::parse(text, text + p.header_bytes);
      if (!header.is_object()) fail("malformed plan header (not a JSON object)");
      return header;
    } catch (const Json::exception& e) {
      fail(cat("malformed plan header (", e.what(), ")"));
    }
  }

  // The bytes of section `s`, checked for bounds, 64-byte alignment and checksum.
  std::byte* section(const Json& s, const std::string& name) const {
    const uint64_t offset = s.at("offset").get<uint64_t>(), size = s.at("bytes").get<uint64_t>();
    if (offset > image_.size || size > image_.size - offset)
      fail(cat("truncated plan file (", name, " runs past the end)"));
    if (offset % kAlign) fail(cat(name, " is not aligned"));
    std::byte* data = image_.owner.get() + offset;
    if (checksum(data, size) != s.at("xxh3").get<uint64_t>())
      fail(cat(name, " is damaged (checksum mismatch)"));
    return data;
  }

  const PlanImage& image() const { return image_; }

 private:
  const PlanImage& image_;
  std::string what_;
};

// Hands one node's saved buffers back to its kernels, in the order they were recorded, as views
// of the image.
class ReplayStore : public kernels::PrepackedStore {
 public:
  ReplayStore(const PlanReader& reader, const Json& buffers, std::string node)
      : reader_(reader), buffers_(buffers), node_(std::move(node)) {}

  std::shared_ptr<float[]> next(int64_t count,
                                const std::function<std::shared_ptr<float[]>()>&) override {
    if (used_ >= buffers_.size())
      reader_.fail(cat("node ", quoted_text(node_),
                       ": its kernel needs packed weights the plan does not hold"));
    const Json& s = buffers_[used_];
    const std::string name = cat("packed weights ", used_++, " of node ", quoted_text(node_));
    // Sizes compared in floats: a count from the kernel never overflows here.
    const uint64_t bytes = s.at("bytes").get<uint64_t>();
    if (count < 0 || bytes % sizeof(float) != 0 ||
        bytes / sizeof(float) != static_cast<uint64_t>(count))
      reader_.fail(cat(name, ": ", bytes, " bytes where the kernel needs ", count, " floats"));
    auto* data = reinterpret_cast<float*>(reader_.section(s, name));
    return std::shared_ptr<float[]>(reader_.image().owner, data);
  }

  bool all_used() const { return used_ == buffers_.size(); }
  const std::string& node() const { return node_; }

 private:
  const PlanReader& reader_;
  const Json& buffers_;
  std::string node_;
  size_t used_ = 0;
};

// Kernels rely on bools being 0 or 1 and 4-bit values being in range; a file is checked for it.
template <class Fail>
void check_values_in_range(const Tensor& t, Fail fail) {
  if (t.dtype() != DType::kBool && t.dtype() != DType::kInt4 && t.dtype() != DType::kUint4) return;
  const auto* v = static_cast<const uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const bool ok = t.dtype() == DType::kBool ? v[i] <= 1
                    : t.dtype() == DType::kUint4
                        ? v[i] <= 15
                        : static_cast<int8_t>(v[i]) >= -8 && static_cast<int8_t>(v[i]) <= 7;
    if (!ok) fail(cat("value ", i, " is out of range for ", dtype_name(t.dtype())));
  }
}

// The initializers the graph section leaves out, as views of the image.
void add_initializers(const PlanReader& reader, const Json& list, Graph& g) {
  if (!list.is_array()) reader.fail("malformed initializer list");
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    const Json& j = *it;
    const std::string name = j.at("name").get<std::string>();
    const std::string what = cat("initializer '", name, "'");
    const int code = j.at("dtype").get<int>();
    if (code < 0 || code > static_cast<int>(DType::kUint4)) reader.fail(cat(what, ": bad dtype"));
    const auto dtype = static_cast<DType>(code);
    const Shape shape = j.at("shape").get<Shape>();
    int64_t numel = 1;
    for (int64_t d : shape) {
      if (d < 0) reader.fail(cat(what, ": negative dimension"));
      numel = checked_mul(numel, d);
    }
    if (j.at("bytes").get<uint64_t>() !=
        static_cast<uint64_t>(checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)))))
      reader.fail(cat(what, ": its bytes do not match its shape"));
    // The graph section lists the weights as its last inputs.
    if (g.inputs.empty() || g.inputs.back() != name)
      reader.fail(cat(what, " is not among the graph's inputs where the plan puts it"));
    g.inputs.pop_back();
    std::byte* data = reader.section(j, what);
    Tensor t = Tensor::view(dtype, shape, data, reader.image().owner);
    check_values_in_range(t, [&](const std::string& why) { reader.fail(cat(what, ": ", why)); });
    if (!g.initializers.emplace(name, std::move(t)).second)
      reader.fail(cat(what, " is listed twice"));
  }
}

// The schedule a header records and what was found with it. Its steps are checked against the
// graph when the plan is made.
Schedule schedule_from(const PlanReader& reader, const Json& j, ScheduleReport& report) {
  const auto how = parse_scheduling(j.at("how").get<std::string>());
  if (!how) reader.fail(cat("unknown schedule kind ", quoted_text(j.at("how").get<std::string>())));
  report.how = *how;
  report.merged_sets = j.at("merged_sets").get<int>();
  report.measured = j.at("measured").get<bool>();
  report.predicted_ms = j.at("predicted_ms").get<double>();
  report.sequential_ms = j.at("sequential_ms").get<double>();
  Schedule schedule;
  for (const Json& stage : j.at("stages")) {
    ScheduleStage s;
    for (const Json& group : stage)
      s.groups.push_back(
          {group.at("threads").get<int>(), group.at("steps").get<std::vector<int>>()});
    schedule.stages.push_back(std::move(s));
  }
  if (schedule.empty() != (report.how == InterOpScheduling::kSequential))
    reader.fail(
        cat("a ", scheduling_name(report.how), " schedule of ", schedule.stages.size(), " stages"));
  return schedule;
}

SessionOptions options_from(const Json& j, const PlanRunOptions& run) {
  SessionOptions o;
  o.threads = run.threads;
  o.profile = run.profile;
  o.check_finite = run.check_finite;
  o.optimize = j.at("optimize").get<bool>();
  o.sparse_kernels = j.at("sparse_kernels").get<bool>();
  o.blocked_layout = j.at("blocked_layout").get<bool>();
  o.integer_layers = j.at("integer_layers").get<bool>();
  return o;
}

std::unique_ptr<Session> load_plan(const PlanImage& image, const std::string& what,
                                   PlanRunOptions run, PlanFileInfo* info) {
  PlanReader reader(image, what);
  Json header = reader.read_header();
  try {
    const std::string version = header.at("sinter_version").get<std::string>();
    if (version != sinter_version())
      reader.fail(cat("compiled by sinter ", quoted_text(version), "; this is sinter ",
                      sinter_version(), ": compile the model again"));
    const std::string isa = header.at("isa").get<std::string>();
    if (isa != isa_name(active_isa()))
      reader.fail(cat("compiled for the ", quoted_text(isa), " tier, but this machine runs ",
                      isa_explanation(), ": compile the model again here",
                      parse_isa(isa) && *parse_isa(isa) <= supported_isa()
                          ? cat(", or run with --isa ", isa)
                          : ""));
    if (header.at("layout").get<std::string>() != packing_layout())
      reader.fail(cat("its packed weights are laid out as ",
                      quoted_text(header.at("layout").get<std::string>()), ", this build packs ",
                      quoted_text(packing_layout()), ": compile the model again"));
    const int compiled_threads = header.at("threads").get<int>();
    if (run.threads <= 0) run.threads = compiled_threads;
    if (run.threads < 1 || run.threads > 1024)
      reader.fail(cat("threads out of range (", run.threads, ")"));
    SessionOptions options = options_from(header.at("options"), run);

    const Json& graph = header.at("graph");
    Graph g = parse_onnx(reader.section(graph, "the graph"), graph.at("bytes").get<uint64_t>(), "",
                         cat(what, " (its graph)"));
    add_initializers(reader, header.at("initializers"), g);
    verify_graph(g);
    infer_graph(g);

    const Json& steps = header.at("steps");
    if (!steps.is_array() || steps.size() != g.nodes.size())
      reader.fail(
          cat("the plan lists ", steps.size(), " steps for a graph of ", g.nodes.size(), " nodes"));
    PlanRecipe recipe;
    std::vector<KernelChoice> choices;
    std::vector<ReplayStore> stores;
    stores.reserve(g.nodes.size());
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Json& step = steps[i];
      const std::string node = step.at("node").get<std::string>();
      if (node != g.nodes[i].name)
        reader.fail(cat("step ", i, " is for node ", quoted_text(node), " but the graph's node ", i,
                        " is ", quoted_text(g.nodes[i].name)));
      choices.push_back(
          {step.at("impl").get<std::string>(), step.at("variant").get<std::string>()});
      const Json& buffers = step.at("prepacked");
      if (!buffers.is_array())
        reader.fail(cat("node ", quoted_text(node), ": malformed packed weights"));
      stores.emplace_back(reader, buffers, node);
    }
    recipe.choice = [&](size_t node, const KernelInfo&) -> std::optional<KernelChoice> {
      return choices[node];
    };
    recipe.prepacked = [&](size_t node) { return &stores[node]; };
    ScheduleReport schedule_report;
    Schedule schedule = schedule_from(reader, header.at("schedule"), schedule_report);
    try {
      check_schedule(schedule, g, compiled_threads);
    } catch (const ModelError& e) {
      reader.fail(e.what());
    }
    // Groups were measured for the threads the plan was compiled for; other threads run in order.
    const bool schedule_kept = run.threads == compiled_threads || schedule.empty();
    if (!schedule_kept) {
      schedule = {};
      schedule_report = {};
    }
    options.schedule = schedule_report.how;
    recipe.schedule = &schedule;
    auto plan = std::make_unique<Plan>(g, options.threads, options.sparse_kernels, &recipe);
    for (const ReplayStore& store : stores)
      if (!store.all_used())
        reader.fail(cat("node ", quoted_text(store.node()),
                        ": the plan holds packed weights its kernel does not use"));
    // Without its schedule the plan's memory is planned for steps in order, not as recorded.
    const Json& memory = header.at("memory");
    if (schedule_kept && (memory.at("arena_bytes").get<uint64_t>() != plan->arena_bytes() ||
                          memory.at("offsets").get<std::vector<size_t>>() != plan->arena_offsets()))
      reader.fail("the memory plan differs from the one recorded in the file");

    if (info) {
      info->format_version = kPlanFormatVersion;
      info->sinter_version = version;
      info->isa = isa;
      info->cpu = header.at("cpu").get<std::string>();
      info->threads = compiled_threads;
      info->source = header.at("source").get<std::string>();
      info->options = options;
      info->nodes = static_cast<int64_t>(g.nodes.size());
      info->file_bytes = static_cast<int64_t>(image.size);
      info->graph_bytes = graph.at("bytes").get<int64_t>();
      for (const Json& t : header.at("initializers"))
        info->graph_bytes += t.at("bytes").get<int64_t>();
      info->prepacked_bytes = 0;
      for (const Json& step : steps)
        for (const Json& b : step.at("prepacked"))
          info->prepacked_bytes += b.at("bytes").get<int64_t>();
      info->arena_bytes = static_cast<int64_t>(plan->arena_bytes());
      info->schedule = schedule_report;
      info->schedule_summary = schedule_summary(plan->schedule(), schedule_report);
      if (!schedule_kept)
        info->schedule_summary +=
            cat(" (its schedule was made for ", compiled_threads, " threads)");
    }
    return std::make_unique<Session>(std::move(g), std::move(plan), options, schedule_report);
  } catch (const Json::exception& e) {
    reader.fail(cat("malformed plan header (", e.what(), ")"));
  } catch (const SizeOverflowError& e) {
    reader.fail(e.what());
  }
}

}  // namespace

bool is_plan_file(const std::string& path) {
  char magic[sizeof kMagic] = {};
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = read(fd, magic, sizeof magic);
  close(fd);
  return n == static_cast<ssize_t>(sizeof magic) && std::memcmp(magic, kMagic, sizeof magic) == 0;
}

std::unique_ptr<Session> compile_plan_file(Graph model,
                                           const std::unordered_map<std::string, Tensor>& inputs,
                                           const SessionOptions& options, const std::string& source,
                                           const std::string& path, PlanFileInfo* info) {
  return compile_plan_file(std::make_unique<Session>(std::move(model), options), inputs, options,
                           source, path, info);
}

std::unique_ptr<Session> compile_plan_file(std::unique_ptr<Session> session,
                                           const std::unordered_map<std::string, Tensor>& inputs,
                                           const SessionOptions& options, const std::string& source,
                                           const std::string& path, PlanFileInfo* info) {
  std::vector<RecordingStore> stores;
  PlanRecipe recipe;
  // The vector may grow while the plan is built: safe, since a store is used only while its own
  // node's kernel is made.
  recipe.prepacked = [&](size_t node) {
    if (stores.size() <= node) stores.resize(node + 1);
    return &stores[node];
  };
  session->prepare(inputs, &recipe);
  stores.resize(session->plan().steps().size());
  const Graph& g = session->compiled_graph();
  refuse_value_dependent_shapes(g, path);
  Json header = {{"sinter_version", sinter_version()}, {"layout", packing_layout()},
                 {"isa", isa_name(active_isa())},      {"cpu", cpu_model()},
                 {"threads", options.threads},         {"source", source},
                 {"options", options_json(options)}};
  // Weights go in sections of their own, to be used where they lie when the plan is loaded; sorted
  // by name, so a model compiled twice gives the same file. The graph section lists them as inputs
  // after its own, so that it parses as a graph on its own.
  Graph bare = g;
  std::vector<std::pair<std::string, Tensor>> initializers(bare.initializers.begin(),
                                                           bare.initializers.end());
  std::sort(initializers.begin(), initializers.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, t] : initializers) {
    bare.inputs.push_back(name);
    bare.types[name] = {t.dtype(), t.shape(), true};
  }
  bare.initializers.clear();
  write_plan(*session, stores, onnx_bytes(bare, path), initializers, std::move(header), path, info);
  if (info) {
    info->sinter_version = sinter_version();
    info->isa = isa_name(active_isa());
    info->cpu = cpu_model();
    info->threads = options.threads;
    info->source = source;
    info->options = options;
    info->options.schedule = session->schedule_report().how;
    info->schedule = session->schedule_report();
    info->schedule_summary =
        schedule_summary(session->plan().schedule(), session->schedule_report());
  }
  return session;
}

std::unique_ptr<Session> load_plan_file(const std::string& path, const PlanRunOptions& run,
                                        PlanFileInfo* info) {
  return load_plan(map_file(path), path, run, info);
}

std::unique_ptr<Session> load_plan_bytes(const void* data, size_t size, const std::string& what,
                                         const PlanRunOptions& run, PlanFileInfo* info) {
  return load_plan(copy_bytes(data, size), what, run, info);
}

}  // namespace sinter
