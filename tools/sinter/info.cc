// `sinter info`: what a model (or plan file) holds and what running it costs, from the compiled
// plan.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/isa.h"
#include "model_arg.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct InfoOptions {
  std::string model;
  bool json = false;
  bool dense_kernels = false;
  bool nchw = false;
  bool float_layers = false;
  int64_t batch = 1;
  CLI::Option* batch_option = nullptr;
};

struct Layer {
  std::string node, op, kernel;
  Shape shape;  // of output 0
  double flops = 0;
  size_t bytes = 0;   // all outputs
  bool view = false;  // shares its input's bytes
};

size_t value_bytes(const Graph& g, const std::string& v) {
  const ValueType* t = g.type_of(v);
  return t && t->has_shape ? static_cast<size_t>(shape_numel(t->shape)) * dtype_size(t->dtype) : 0;
}

Shape shape_of(const Graph& g, const std::string& v) {
  const ValueType* t = g.type_of(v);
  return t && t->has_shape ? t->shape : Shape{};
}

std::string histogram_line(const std::vector<std::pair<std::string, int>>& h) {
  std::string s;
  for (const auto& [op, n] : h) s += (s.empty() ? "" : ", ") + op + " x" + std::to_string(n);
  return s.empty() ? "(none)" : s;
}

Json histogram_json(const std::vector<std::pair<std::string, int>>& h) {
  Json j = Json::object();
  for (const auto& [op, n] : h) j[op] = n;
  return j;
}

Json plan_json(const PlanFileInfo& p, double load_ms) {
  return {{"format", p.format_version},
          {"sinter_version", p.sinter_version},
          {"isa", p.isa},
          {"compiled_on", p.cpu},
          {"threads", p.threads},
          {"source", p.source},
          {"file_bytes", p.file_bytes},
          {"graph_bytes", p.graph_bytes},
          {"prepacked_bytes", p.prepacked_bytes},
          {"schedule", p.schedule_summary},
          {"load_ms", load_ms}};
}

void print_plan(const PlanFileInfo& p, double load_ms) {
  std::cout << "plan:       compiled from " << p.source << " by sinter " << p.sinter_version
            << " for " << p.isa << ", " << p.threads << (p.threads == 1 ? " thread" : " threads")
            << " (on " << p.cpu << "); loaded in " << format("%.1f ms", load_ms) << "\n";
  std::cout << "plan file:  " << human_bytes(static_cast<double>(p.file_bytes)) << ": graph "
            << human_bytes(static_cast<double>(p.graph_bytes)) << ", packed weights "
            << human_bytes(static_cast<double>(p.prepacked_bytes)) << "\n";
  std::cout << "schedule:   " << p.schedule_summary << "\n";
}

int run_info(const InfoOptions& o) {
  // Compiling (passes, kernel choice, memory plan) is what gives concrete shapes and costs; a
  // plan file is compiled already.
  SessionOptions options{1, true, false};
  options.sparse_kernels = !o.dense_kernels;
  options.blocked_layout = !o.nchw;
  options.integer_layers = !o.float_layers;
  OpenedModel opened = open_model(o.model, options, false);
  Session& session = *opened.session;
  const Graph& model = session.model();
  std::vector<std::string> notes;
  std::vector<BoundInput> bound =
      bind_input_shapes(model, o.batch, o.batch_option->count() > 0, notes);
  size_t param_count = 0, param_bytes = 0;
  for (const auto& [name, t] : model.initializers) {
    param_count += static_cast<size_t>(t.numel());
    param_bytes += t.nbytes();
  }
  auto model_ops = op_histogram(model);
  size_t initializer_count = model.initializers.size();
  if (!opened.plan) session.prepare(make_inputs(bound, false));
  const Graph& m = model;
  const Graph& g = session.compiled_graph();
  Plan& plan = session.plan();

  std::vector<Layer> layers;
  for (size_t i = 0; i < g.nodes.size() && i < plan.steps().size(); ++i) {
    const Node& n = g.nodes[i];
    const PlanStep& step = plan.steps()[i];
    Layer l{n.name, n.op_type, step.kernel_name, {}, step.flops, 0, !step.kernel};
    if (!n.outputs.empty()) l.shape = shape_of(g, n.outputs[0]);
    for (const auto& out : n.outputs)
      if (!out.empty()) l.bytes += value_bytes(g, out);
    layers.push_back(std::move(l));
  }

  if (o.json) {
    Json j;
    j["model"] = o.model;
    j["graph"] = m.name;
    j["opset"] = m.opset;
    j["batch"] = o.batch;
    j["notes"] = notes;
    j["cpu"] = cpu_model();
    j["cpu_extensions"] = cpu_extensions();
    j["isa"] = isa_name(active_isa());
    j["isa_reason"] = isa_explanation();
    j["inputs"] = Json::array();
    for (const auto& b : bound) {
      const ValueType* t = m.type_of(b.name);
      j["inputs"].push_back({{"name", b.name},
                             {"dtype", dtype_name(b.dtype)},
                             {"shape", t ? t->shape : b.shape},
                             {"bound_shape", b.shape}});
    }
    j["outputs"] = Json::array();
    for (const auto& name : m.outputs) {
      const ValueType* declared = m.type_of(name);
      const ValueType* t = g.type_of(name);
      j["outputs"].push_back(
          {{"name", name},
           {"dtype", dtype_name(t ? t->dtype : declared->dtype)},
           {"shape", declared && declared->has_shape ? declared->shape : Shape{}},
           {"bound_shape", shape_of(g, name)}});
    }
    j["nodes"] = m.nodes.size();
    j["compiled_nodes"] = g.nodes.size();
    j["op_histogram"] = histogram_json(model_ops);
    j["compiled_op_histogram"] = histogram_json(op_histogram(g));
    j["parameters"] = {
        {"count", param_count}, {"bytes", param_bytes}, {"initializers", initializer_count}};
    j["total_flops"] = plan.total_flops();
    j["memory"] = {{"arena_bytes", plan.arena_bytes()},
                   {"peak_live_bytes", plan.peak_live_bytes()},
                   {"naive_activation_bytes", plan.naive_activation_bytes()}};
    if (opened.plan) {
      j["plan"] = plan_json(*opened.plan, opened.load_ms);
    } else {
      j["optimizer"] = session.optimize_stats().summary();
    }
    j["layers"] = Json::array();
    for (const auto& l : layers)
      j["layers"].push_back({{"node", l.node},
                             {"op", l.op},
                             {"kernel", l.kernel},
                             {"output_shape", l.shape},
                             {"flops", l.flops},
                             {"activation_bytes", l.view ? 0 : l.bytes}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  std::cout << "model:      " << o.model << " (graph '" << m.name << "', opset " << m.opset
            << ", batch " << o.batch << ")\n";
  for (const auto& note : notes) std::cout << "note:       " << note << "\n";
  std::cout << "cpu:        " << cpu_model() << " (" << cpu_extensions() << ")\n";
  std::cout << "isa:        " << isa_explanation() << "\n";
  std::cout << "inputs:\n";
  for (const auto& b : bound) {
    const ValueType* t = m.type_of(b.name);
    std::string declared = t ? shape_str(t->shape) : "?";
    std::string shown = shape_str(b.shape);
    std::cout << "  " << b.name << "  " << dtype_name(b.dtype) << "  " << shown
              << (declared != shown ? "  (declared " + declared + ")" : "") << "\n";
  }
  std::cout << "outputs:\n";
  for (const auto& name : m.outputs) {
    const ValueType* t = g.type_of(name);
    std::cout << "  " << name << "  " << (t ? dtype_name(t->dtype) : "?") << "  "
              << shape_str(shape_of(g, name)) << "\n";
  }
  std::cout << "parameters: " << human_count(static_cast<double>(param_count)) << " ("
            << human_bytes(static_cast<double>(param_bytes)) << " in " << initializer_count
            << " initializers)\n";
  std::cout << "ops:        " << m.nodes.size() << " nodes: " << histogram_line(model_ops) << "\n";
  std::cout << "compiled:   " << g.nodes.size() << " nodes: " << histogram_line(op_histogram(g))
            << "\n";
  if (opened.plan) {
    print_plan(*opened.plan, opened.load_ms);
  } else {
    std::cout << "optimizer:  " << session.optimize_stats().summary() << "\n";
  }
  std::cout << "FLOPs:      " << human_flops(plan.total_flops()) << " per run\n";
  double naive = static_cast<double>(plan.naive_activation_bytes());
  double arena = static_cast<double>(plan.arena_bytes());
  std::cout << "memory:     arena " << human_bytes(arena) << " (static plan; peak live "
            << human_bytes(static_cast<double>(plan.peak_live_bytes())) << ", naive sum "
            << human_bytes(naive)
            << (naive > 0 ? format(", %.0f%% saved", 100.0 * (1.0 - arena / naive)) : "") << ")\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : layers)
    rows.push_back({l.node, l.op, l.kernel, shape_str(l.shape),
                    l.flops > 0 ? human_count(l.flops) : "-",
                    l.view ? "(view)" : human_bytes(static_cast<double>(l.bytes))});
  std::cout << "layers (after optimization):\n"
            << format_table({"node", "op", "kernel", "output shape", "FLOPs", "activations"}, rows,
                            {4, 5});
  return 0;
}

}  // namespace

Subcommand add_info_command(CLI::App& parent) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* app = parent.add_subcommand(
      "info", "Show a model's inputs, outputs, ops, parameters, FLOPs and memory plan");
  app->add_option("model", o->model, "ONNX model or plan file (sinter compile)")->required();
  app->add_flag("--json", o->json, "Print one JSON object instead of text");
  app->add_flag("--dense-kernels", o->dense_kernels,
                "Show the kernels chosen with pruned weights kept on the dense ones");
  app->add_flag("--nchw", o->nchw,
                "Keep every tensor NCHW (no channel-blocked convolution regions)");
  app->add_flag("--float-layers", o->float_layers,
                "Run a QDQ model's quantized layers in float on dequantized weights (no integer "
                "kernels)");
  o->batch_option =
      app->add_option("--batch", o->batch, "Value for a dynamic first input dimension")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
          ->capture_default_str();
  return {app, [o] { return run_info(*o); }};
}

}  // namespace sinter::cli
