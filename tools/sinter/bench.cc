// `sinter bench`: times a model on random inputs; optionally profiles every node.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli.h"
#include "core/isa.h"
#include "kernels/peak/fma_peak.h"
#include "model_arg.h"
#include "runtime/profile_report.h"
#include "runtime/session.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string model;
  int threads = 1;
  int64_t batch = 1;
  int reps = 20;
  int warmup = 3;
  bool profile = false;
  bool json = false;
  bool no_optimize = false;
  bool dense_kernels = false;
  bool nchw = false;
  bool float_layers = false;
  std::string schedule = "sequential";
  CLI::Option* batch_option = nullptr;
  CLI::Option* threads_option = nullptr;
};

// Statistics as bench/ort_time.js computes them, so the two can be compared: the median is the
// upper middle element of the sorted times.
struct Stats {
  double min = 0, median = 0, mean = 0, max = 0;
};

Stats stats_of(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2], std::accumulate(t.begin(), t.end(), 0.0) / t.size(),
          t.back()};
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// Periodic progress on stderr once a bench has run for more than two seconds.
class Progress {
 public:
  explicit Progress(int total) : total_(total), start_(Clock::now()), last_(start_) {}
  void update(int done, double ms_per_run) {
    auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(2) || now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    double eta_s = (total_ - done) * ms_per_run / 1000.0;
    std::fprintf(stderr, "sinter: bench: %d/%d runs, %.2f ms/run, ETA %.0f s\n", done, total_,
                 ms_per_run, eta_s);
  }

 private:
  int total_;
  Clock::time_point start_, last_;
};

Json profile_json(const ProfileReport& r, double peak_gflops) {
  Json nodes = Json::array(), ops = Json::array();
  for (const auto& n : r.nodes)
    nodes.push_back({{"node", n.node},
                     {"op", n.op_type},
                     {"kernel", n.kernel},
                     {"ms", round3(n.ms)},
                     {"share", n.share},
                     {"gflops", n.gflops},
                     {"peak_share", n.gflops / peak_gflops}});
  for (const auto& op : r.op_types)
    ops.push_back({{"op", op.op_type},
                   {"nodes", op.nodes},
                   {"ms", round3(op.ms)},
                   {"share", op.share},
                   {"gflops", op.gflops},
                   {"peak_share", op.gflops / peak_gflops}});
  return {{"total_ms", round3(r.total_ms)},
          {"peak_gflops", peak_gflops},
          {"nodes", nodes},
          {"op_types", ops}};
}

int run_bench(const BenchOptions& o) {
  SessionOptions options{o.threads, !o.no_optimize, o.profile};
  options.sparse_kernels = !o.dense_kernels;
  options.blocked_layout = !o.nchw;
  options.integer_layers = !o.float_layers;
  options.schedule = *parse_scheduling(o.schedule);
  OpenedModel opened = open_model(o.model, options, o.threads_option->count() > 0);
  Session& session = *opened.session;
  const int threads = session.pool().num_threads();
  std::vector<std::string> notes;
  auto bound = bind_input_shapes(session.model(), o.batch, o.batch_option->count() > 0, notes);
  for (const auto& n : notes) std::fprintf(stderr, "sinter: note: %s\n", n.c_str());
  auto inputs = make_inputs(bound, true);

  auto t0 = Clock::now();
  session.prepare(inputs);
  // A plan file's compiling happened in `sinter compile`; what it costs here is loading it.
  const double compile_ms = opened.plan ? opened.load_ms : ms_since(t0);

  Progress progress(o.warmup + o.reps);
  auto bench_start = Clock::now();
  for (int i = 0; i < o.warmup; ++i) {
    session.run(inputs);
    progress.update(i + 1, ms_since(bench_start) / (i + 1));
  }
  session.plan().reset_profile();
  std::vector<double> times;
  for (int i = 0; i < o.reps; ++i) {
    auto r0 = Clock::now();
    session.run(inputs);
    times.push_back(ms_since(r0));
    progress.update(o.warmup + i + 1, ms_since(bench_start) / (o.warmup + i + 1));
  }

  Stats s = stats_of(times);
  Plan& plan = session.plan();
  double flops = plan.total_flops();
  double gflops = s.median > 0 ? flops / (s.median * 1e6) : 0.0;
  // Samples per second: the first input's first dim is the batch.
  int64_t samples = bound.empty() || bound[0].shape.empty() ? 1 : bound[0].shape[0];
  double throughput = s.median > 0 ? samples * 1000.0 / s.median : 0.0;

  if (o.json) {
    Json j{{"engine", "sinter"},
           {"model", std::filesystem::path(o.model).filename().string()},
           {"threads", threads},
           {"cpu", cpu_model()},
           {"isa", isa_name(active_isa())},
           {"batch", samples},
           {"optimize", !o.no_optimize},
           {"sparse_kernels", !o.dense_kernels},
           {"blocked_layout", !o.nchw},
           {"integer_layers", !o.float_layers},
           {"schedule", scheduling_name(session.schedule_report().how)},
           {"schedule_summary", schedule_summary(plan.schedule(), session.schedule_report())},
           {"reps", o.reps},
           {"warmup", o.warmup},
           {"min_ms", round3(s.min)},
           {"median_ms", round3(s.median)},
           {"mean_ms", round3(s.mean)},
           {"max_ms", round3(s.max)},
           {"compile_ms", round3(compile_ms)},
           {"plan_file", opened.plan.has_value()},
           {"throughput_per_s", throughput},
           {"flops", flops},
           {"gflops", gflops},
           {"arena_bytes", plan.arena_bytes()},
           {"peak_live_bytes", plan.peak_live_bytes()},
           {"naive_activation_bytes", plan.naive_activation_bytes()}};
    if (o.profile)
      j["profile"] = profile_json(make_profile_report(plan), fp32_peak_gflops(threads));
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "model:      " << o.model << " (batch " << samples << ", " << threads
            << (threads == 1 ? " thread" : " threads") << (o.no_optimize ? ", not optimized" : "")
            << (o.dense_kernels ? ", dense kernels" : "") << ")\n";
  std::cout << "cpu:        " << cpu_model() << ", isa " << isa_explanation() << "\n";
  std::cout << (opened.plan ? "load plan:  " : "compile:    ") << format("%.3f ms", compile_ms)
            << "\n";
  std::cout << "schedule:   " << schedule_summary(plan.schedule(), session.schedule_report())
            << "\n";
  std::cout << "runs:       " << o.reps << " timed after " << o.warmup << " warm-up\n";
  std::cout << "time:       min " << format("%.3f", s.min) << "  median "
            << format("%.3f", s.median) << "  mean " << format("%.3f", s.mean) << "  max "
            << format("%.3f", s.max) << " ms\n";
  std::cout << "throughput: " << format("%.1f", throughput) << " samples/s\n";
  std::cout << "compute:    " << human_flops(flops) << " per run, " << format("%.1f", gflops)
            << " GFLOP/s at the median\n";
  std::cout << "memory:     arena " << human_bytes(static_cast<double>(plan.arena_bytes()))
            << " (peak live " << human_bytes(static_cast<double>(plan.peak_live_bytes()))
            << ", naive sum " << human_bytes(static_cast<double>(plan.naive_activation_bytes()))
            << ")\n";
  if (o.profile) {
    print_profile(make_profile_report(plan), fp32_peak_gflops(threads));
    if (plan.schedule().concurrent())
      std::cout << "\nnote: the schedule runs groups of nodes side by side, each on a share of "
                   "the threads, so node times overlap and add up to more than a run\n";
  }
  return 0;
}

}  // namespace

double fp32_peak_gflops(int threads) {
  return kernels::measure_fp32_peak_gflops(active_isa()) * threads;
}

void print_profile(const ProfileReport& r, double peak_gflops) {
  auto gf = [](double g) { return g > 0 ? format("%.1f", g) : std::string("-"); };
  auto of_peak = [&](double g) {
    return g > 0 && peak_gflops > 0 ? format("%.1f", 100 * g / peak_gflops) : std::string("-");
  };
  std::cout << "\npeak:       " << format("%.1f", peak_gflops) << " GFLOP/s fp32 at "
            << isa_name(active_isa())
            << " (one core measured, times the threads); FLOPs are those of the direct\n"
            << "            algorithm, so Winograd layers can pass 100 %\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& op : r.op_types)
    rows.push_back({op.op_type, std::to_string(op.nodes), format("%.3f", op.ms),
                    format("%.1f", 100 * op.share), gf(op.gflops), of_peak(op.gflops)});
  std::cout << "\nprofile per op type (mean of " << r.runs << " runs; kernels "
            << format("%.3f", r.total_ms) << " ms):\n"
            << format_table({"op", "nodes", "ms", "%", "GFLOP/s", "% peak"}, rows, {1, 2, 3, 4, 5});
  rows.clear();
  for (const auto& n : r.nodes)
    rows.push_back({n.node, n.op_type, n.kernel, format("%.3f", n.ms),
                    format("%.1f", 100 * n.share), gf(n.gflops), of_peak(n.gflops)});
  std::cout << "\nprofile per node, slowest first:\n"
            << format_table({"node", "op", "kernel", "ms", "%", "GFLOP/s", "% peak"}, rows,
                            {3, 4, 5, 6});
}

Subcommand add_bench_command(CLI::App& parent) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* app = parent.add_subcommand(
      "bench", "Time a model on random inputs (fixed seed); --profile times every node");
  app->add_option("model", o->model, "ONNX model or plan file (sinter compile)")->required();
  o->threads_option = app->add_option("--threads", o->threads,
                                      "Worker threads (for a plan file: the threads it was "
                                      "compiled for)")
                          ->check(CLI::Range(1, 1024))
                          ->capture_default_str();
  o->batch_option =
      app->add_option("--batch", o->batch, "Value for a dynamic first input dimension")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
          ->capture_default_str();
  app->add_option("--reps", o->reps, "Timed runs")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app->add_option("--warmup", o->warmup, "Untimed runs first")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app->add_flag("--profile", o->profile, "Time every node; print tables per node and op type");
  app->add_flag("--json", o->json,
                "Print one JSON line (min_ms, median_ms, mean_ms, gflops, arena_bytes, ...)");
  app->add_flag("--no-optimize", o->no_optimize, "Skip the graph optimization passes");
  add_schedule_option(*app, o->schedule);
  app->add_flag("--dense-kernels", o->dense_kernels,
                "Keep pruned weights on the dense kernels (no sparse Conv/Gemm kernels)");
  app->add_flag("--nchw", o->nchw,
                "Keep every tensor NCHW (no channel-blocked convolution regions)");
  app->add_flag("--float-layers", o->float_layers,
                "Run a QDQ model's quantized layers in float on dequantized weights (no integer "
                "kernels)");
  return {app, [o] { return run_bench(*o); }};
}

}  // namespace sinter::cli
