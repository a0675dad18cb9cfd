// `sinter tune`: times every kernel (and kernel variant) that can run each layer of a model on its
// shapes, within a time budget, and keeps the fastest in the tuning database that `compile`
// chooses from.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/isa.h"
#include "onnx/onnx_import.h"
#include "runtime/bound_inputs.h"
#include "runtime/session.h"
#include "tune/tune_graph.h"
#include "tune_progress.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct TuneArgs {
  std::string model;
  double budget = 600;
  int64_t batch = 1;
  int threads = 1;
  std::string tuning_db = default_tuning_db_path();
  bool dense_kernels = false, nchw = false, float_layers = false;
  bool json = false, quiet = false;
  CLI::Option* batch_option = nullptr;
};

int run_tune(const TuneArgs& a) {
  if (!(a.budget > 0))
    throw InputError(
        cat("--budget must be a positive number of seconds (got ", format("%g", a.budget), ")"));
  TuningDb db = TuningDb::load(a.tuning_db);
  Graph model = load_onnx(a.model);
  std::vector<std::string> notes;
  const auto bound = bind_input_shapes(model, a.batch, a.batch_option->count() > 0, notes);
  for (const auto& n : notes) std::cerr << "sinter: note: " << n << "\n";
  SessionOptions options{a.threads, true, false};
  options.sparse_kernels = !a.dense_kernels;
  options.blocked_layout = !a.nchw;
  options.integer_layers = !a.float_layers;
  Session session(std::move(model), options);
  session.prepare(make_inputs(bound, false));
  const TuneReport r = tune_graph(session.compiled_graph(), db,
                                  {a.budget, a.threads, options.sparse_kernels,
                                   tune_progress_printer(a.budget, a.quiet || a.json)});
  end_tune_progress(a.quiet || a.json);
  db.save(a.tuning_db);
  double default_ms = 0, chosen_ms = 0;
  int changed = 0;
  for (const auto& l : r.layers) {
    default_ms += l.default_ms;
    chosen_ms += l.chosen_ms;
    changed += l.chosen_kernel != l.default_kernel;
  }
  if (a.json) {
    Json layers = Json::array();
    for (const auto& l : r.layers)
      layers.push_back({{"node", l.node},
                        {"op", l.op},
                        {"default_kernel", l.default_kernel},
                        {"default_ms", l.default_ms},
                        {"chosen_kernel", l.chosen_kernel},
                        {"chosen_ms", l.chosen_ms},
                        {"candidates", l.candidates}});
    std::cout << Json{{"model", a.model},
                      {"tuning_db", a.tuning_db},
                      {"isa", isa_name(active_isa())},
                      {"threads", a.threads},
                      {"seconds", r.seconds},
                      {"budget_exhausted", r.budget_exhausted},
                      {"candidates_measured", r.candidates_measured},
                      {"candidates_total", r.candidates_total},
                      {"layers_changed", changed},
                      {"default_ms", default_ms},
                      {"tuned_ms", chosen_ms},
                      {"layers", layers}}
                     .dump()
              << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : r.layers)
    if (l.chosen_kernel != l.default_kernel)
      rows.push_back({l.node, l.default_kernel, format("%.3f", l.default_ms), l.chosen_kernel,
                      format("%.3f", l.chosen_ms), format("%.2fx", l.default_ms / l.chosen_ms)});
  std::cout << "tuned " << r.layers.size() << " layers of " << a.model << " ("
            << r.candidates_measured << " of " << r.candidates_total << " candidates in "
            << format("%.1f s", r.seconds)
            << (r.budget_exhausted ? ", budget exhausted: the rest keep the heuristics" : "")
            << ") for " << isa_name(active_isa()) << ", " << a.threads
            << (a.threads == 1 ? " thread" : " threads") << "\n";
  if (!rows.empty())
    std::cout << format_table({"node", "heuristic", "ms", "tuned", "ms", "gain"}, rows, {2, 4, 5});
  std::cout << changed << " of " << r.layers.size()
            << " layers changed kernel; the tuned layers take " << format("%.3f ms", chosen_ms)
            << " against " << format("%.3f ms", default_ms) << " on the heuristics' kernels"
            << (chosen_ms > 0 ? format(" (%.2fx)", default_ms / chosen_ms) : "") << "\n";
  std::cout << "wrote " << a.tuning_db << " (" << db.size() << " entries)\n";
  return 0;
}

}  // namespace

Subcommand add_tune_command(CLI::App& parent) {
  auto a = std::make_shared<TuneArgs>();
  CLI::App* app = parent.add_subcommand(
      "tune",
      "Time every kernel and variant that can run each layer of a model, within a budget, and "
      "keep the fastest in the tuning database that compile chooses from");
  app->add_option("model", a->model, "ONNX model file")->required();
  app->add_option("--budget", a->budget, "Seconds to spend measuring")->capture_default_str();
  app->add_option("--tuning-db", a->tuning_db, "The tuning database (JSON) to add to")
      ->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads the kernels are tuned for")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  a->batch_option =
      app->add_option("--batch", a->batch, "Value for a dynamic first input dimension")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
          ->capture_default_str();
  app->add_flag("--dense-kernels", a->dense_kernels, "Tune without the sparse kernels");
  app->add_flag("--nchw", a->nchw, "Keep every tensor NCHW (no channel-blocked regions)");
  app->add_flag("--float-layers", a->float_layers,
                "Run a QDQ model's quantized layers in float (no integer kernels)");
  app->add_flag("--json", a->json, "Print one JSON object instead of text and progress");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  return {app, [a] { return run_tune(*a); }};
}

}  // namespace sinter::cli
