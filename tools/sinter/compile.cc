// `sinter compile`: compiles a model for the input shapes it will run on and writes a plan file
// that `run`, `bench` and `info` load without compiling again.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/isa.h"
#include "tune/compile_model.h"
#include "tune_progress.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct CompileArgs {
  CompileRequest request;
  bool no_optimize = false, dense_kernels = false, nchw = false, float_layers = false;
  bool no_tuning_db = false;
  bool json = false, quiet = false;
  std::string schedule = "auto";
  CLI::Option* batch_option = nullptr;
  CLI::Option* tune_option = nullptr;
};

Json trial_json(const std::optional<ScheduleTrial>& t) {
  if (!t) return nullptr;
  return {
      {"sequential_ms", t->sequential_ms}, {"scheduled_ms", t->scheduled_ms}, {"kept", t->kept}};
}

int run_compile(CompileArgs a) {
  CompileRequest& r = a.request;
  r.batch_given = a.batch_option->count() > 0;
  r.options.optimize = !a.no_optimize;
  r.options.sparse_kernels = !a.dense_kernels;
  r.options.blocked_layout = !a.nchw;
  r.options.integer_layers = !a.float_layers;
  if (a.tune_option->count() > 0 && !(r.tune_seconds > 0))
    throw InputError(cat("--tune must be a positive number of seconds (got ",
                         format("%g", r.tune_seconds), ")"));
  if (a.no_tuning_db) {
    if (r.tune_seconds > 0) throw InputError("--tune needs a tuning database; drop --no-tuning-db");
    r.tuning_db.clear();
  }
  r.auto_schedule = a.schedule == "auto";
  if (!r.auto_schedule) r.options.schedule = *parse_scheduling(a.schedule);
  r.tune_progress = tune_progress_printer(r.tune_seconds, a.quiet || a.json);
  const CompileResult c = compile_model(r);
  if (r.tune_seconds > 0) end_tune_progress(a.quiet || a.json);
  const PlanFileInfo& p = c.plan;
  if (a.json) {
    std::cout << Json{{"model", r.model},
                      {"plan", r.output},
                      {"isa", p.isa},
                      {"cpu", p.cpu},
                      {"threads", p.threads},
                      {"nodes", p.nodes},
                      {"load_ms", c.load_ms},
                      {"compile_ms", c.compile_ms},
                      {"file_bytes", p.file_bytes},
                      {"graph_bytes", p.graph_bytes},
                      {"prepacked_bytes", p.prepacked_bytes},
                      {"arena_bytes", p.arena_bytes},
                      {"tuning_db", r.tuning_db},
                      {"tuned_steps", c.tuned_steps},
                      {"tuned_layers", c.tuning ? c.tuning->layers.size() : 0},
                      {"schedule", scheduling_name(p.schedule.how)},
                      {"schedule_summary", p.schedule_summary},
                      {"schedule_trial", trial_json(c.schedule_trial)},
                      {"notes", c.notes}}
                     .dump()
              << "\n";
    return 0;
  }
  for (const auto& note : c.notes) std::cerr << "sinter: note: " << note << "\n";
  if (c.tuning)
    std::cout << "tuned " << c.tuning->layers.size() << " layers (" << c.tuning->candidates_measured
              << " candidates in " << format("%.1f s", c.tuning->seconds) << ") into "
              << r.tuning_db << "\n";
  std::cout << "compiled " << r.model << " for " << p.isa << " (" << cpu_model() << "), "
            << p.threads << (p.threads == 1 ? " thread" : " threads") << ": " << p.nodes
            << " steps in " << format("%.1f ms", c.compile_ms) << "; " << c.tuned_steps
            << " kernels from the tuning database\n";
  std::cout << "schedule: " << p.schedule_summary << "\n";
  if (c.schedule_trial)
    std::cout << "          timed against the sequential plan, taking turns: "
              << format("%.2f ms", c.schedule_trial->scheduled_ms) << " against "
              << format("%.2f ms", c.schedule_trial->sequential_ms) << " ("
              << format("%.2fx", c.schedule_trial->sequential_ms / c.schedule_trial->scheduled_ms)
              << "): " << (c.schedule_trial->kept ? "kept" : "not kept, the plan runs in order")
              << "\n";
  std::cout << "wrote " << r.output << ": " << human_bytes(static_cast<double>(p.file_bytes))
            << " (graph " << human_bytes(static_cast<double>(p.graph_bytes)) << ", packed weights "
            << human_bytes(static_cast<double>(p.prepacked_bytes)) << "; arena "
            << human_bytes(static_cast<double>(p.arena_bytes)) << ")\n";
  return 0;
}

}  // namespace

Subcommand add_compile_command(CLI::App& parent) {
  auto a = std::make_shared<CompileArgs>();
  CLI::App* app = parent.add_subcommand(
      "compile",
      "Compile a model for its input shapes into a plan file (optimized graph, chosen kernels, "
      "packed weights, memory plan) that run, bench and info load without compiling again");
  app->add_option("model", a->request.model, "ONNX model file")->required();
  app->add_option("-o,--output", a->request.output, "Plan file to write (e.g. model.splan)")
      ->required();
  app->add_option("--threads", a->request.options.threads,
                  "Worker threads the plan is compiled for (run and bench use them by default)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  a->batch_option =
      app->add_option("--batch", a->request.batch, "Value for a dynamic first input dimension")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
          ->capture_default_str();
  a->tune_option = app->add_option("--tune", a->request.tune_seconds,
                                   "Seconds to tune the model's layers first (sinter tune), adding "
                                   "to the tuning database");
  a->request.tuning_db = default_tuning_db_path();
  app->add_option("--tuning-db", a->request.tuning_db,
                  "The tuning database to choose kernels from (used where it knows a layer)")
      ->capture_default_str();
  app->add_flag("--no-tuning-db", a->no_tuning_db, "Choose every kernel by the heuristics");
  app->add_option("--schedule", a->schedule,
                  "Inter-operator schedule: auto (IOS where timing shows it faster), ios (dynamic "
                  "programming over stages), greedy (every ready node side by side) or sequential")
      ->check(CLI::IsMember({"auto", "ios", "greedy", "sequential"}))
      ->capture_default_str();
  app->add_flag("--json", a->json, "Print one JSON object instead of text");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  app->add_flag("--no-optimize", a->no_optimize, "Skip the graph optimization passes");
  app->add_flag("--dense-kernels", a->dense_kernels,
                "Keep pruned weights on the dense kernels (no sparse Conv/Gemm kernels)");
  app->add_flag("--nchw", a->nchw,
                "Keep every tensor NCHW (no channel-blocked convolution regions)");
  app->add_flag("--float-layers", a->float_layers,
                "Run a QDQ model's quantized layers in float on dequantized weights (no integer "
                "kernels)");
  return {app, [a] { return run_compile(*a); }};
}

}  // namespace sinter::cli
