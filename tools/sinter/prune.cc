// `sinter prune`: prunes a trained ONNX classifier to a sparsity scheme by ADMM, one-shot
// magnitude or gradual magnitude pruning, retrains it with the pruned weights held at zero, and
// writes an ordinary ONNX file whose pruned weights are zeros, with the scheme in its metadata.
// The workflow is compress/prune_model; this file turns the options into its request and prints.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.h"
#include "compress/prune_model.h"
#include "core/parse_number.h"
#include "data/dataset_spec.h"
#include "fine_tune_printer.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct PruneArgs {
  std::string model;
  std::string scheme = "unstructured";
  double sparsity = 0.0;
  int64_t patterns = 8;
  double connectivity = 1.0;
  std::string method = "admm";
  std::string data = "fashion-mnist";
  int64_t admm_epochs = 3;
  int64_t retrain_epochs = 3;
  int64_t interval = 0;
  float rho = 0.05f;
  float rho_factor = 1.5f;
  float rho_max = 1.0f;
  bool prune_ends = false;
  std::vector<std::string> layer_sparsity;
  int bits = 0;
  int64_t batch = 64;
  float lr = 0.01f;
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
  int threads = 1;
  uint64_t seed = 1;
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  std::string output;
  bool json = false;
  bool quiet = false;
};

// "NAME=S" entries of --layer-sparsity as a map.
std::map<std::string, double> layer_sparsities(const std::vector<std::string>& entries) {
  std::map<std::string, double> out;
  for (const std::string& e : entries) {
    const size_t eq = e.rfind('=');
    const std::optional<double> v =
        eq == std::string::npos || eq == 0 ? std::nullopt : parse_double(e.substr(eq + 1));
    if (!v) throw InputError(cat("--layer-sparsity '", e, "' is not WEIGHT=SPARSITY"));
    out[e.substr(0, eq)] = *v;
  }
  return out;
}

// The options given on the command line; those left out stay unset where the library refuses a
// number that does not apply rather than ignoring it.
PruneRequest prune_request(CLI::App& app, const PruneArgs& a) {
  auto given = [&](const char* option) { return app.get_option(option)->count() > 0; };
  PruneRequest r;
  r.scheme = a.scheme;
  if (given("--sparsity")) r.sparsity = a.sparsity;
  if (given("--patterns")) r.patterns = a.patterns;
  if (given("--connectivity")) r.connectivity = a.connectivity;
  r.method = parse_prune_method(a.method);
  if (given("--admm-epochs")) r.admm_epochs = a.admm_epochs;
  r.retrain_epochs = a.retrain_epochs;
  r.interval = a.interval;
  if (given("--rho")) r.rho = a.rho;
  if (given("--rho-factor")) r.rho_factor = a.rho_factor;
  if (given("--rho-max")) r.rho_max = a.rho_max;
  r.bits = a.bits;
  r.rules = {a.prune_ends, layer_sparsities(a.layer_sparsity)};
  r.training = {a.batch, a.threads, a.seed, a.lr, a.momentum, a.weight_decay};
  r.data = a.data;
  r.train_limit = a.train_limit;
  r.test_limit = a.test_limit;
  return r;
}

std::string percent(double v) { return format("%.2f%%", 100 * v); }

// A line on stdout at once, in step with the progress on stderr.
void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Progress as the run goes: the plan on stderr, accuracies and epochs on stdout.
PruneCallbacks prune_printer(const PruneArgs& a) {
  PruneCallbacks c;
  c.fine_tune = fine_tune_printer("prune", a.quiet, a.json);
  if (a.json) return c;
  c.on_start = [&a](const PruneStart& s) {
    if (a.quiet) return;
    std::string dense;
    for (const std::string& d : s.left_dense) dense += (dense.empty() ? "" : ", ") + d;
    std::fprintf(stderr,
                 "sinter: prune: %s, scheme %s, method %s: %lld weights in %zu tensors to prune "
                 "(left dense: %s); %lld training and %lld test images, %d thread%s\n",
                 a.model.c_str(), scheme_name(s.scheme).c_str(), a.method.c_str(),
                 static_cast<long long>(s.prunable_weights), s.pruned_tensors,
                 dense.empty() ? "none" : dense.c_str(), static_cast<long long>(s.train_images),
                 static_cast<long long>(s.test_images), a.threads, a.threads == 1 ? "" : "s");
  };
  c.on_dense = [](const Evaluation& e) { say(cat("dense        test ", percent(e.accuracy))); };
  c.on_pruned = [](const Evaluation& e, double sparsity) {
    say(cat("pruned       test ", percent(e.accuracy), "  sparsity ", percent(sparsity),
            " of the pruned layers"));
  };
  return c;
}

void print_json(const PruneArgs& a, const PruneResult& r, double seconds) {
  const ModelStorage& size = r.storage;
  const PruneRecord& pruned = *r.record.prune;
  Json storage{{"dense", size.dense_bytes}, {"csr", size.csr_bytes}};
  if (size.compact_bytes > 0) storage["compact"] = size.compact_bytes;
  if (size.pattern_bytes > 0) storage["pattern"] = size.pattern_bytes;
  Json j{{"model", a.model},
         {"output", a.output},
         {"scheme", scheme_name(pruned.scheme)},
         {"method", pruned.method},
         {"bits", a.bits},
         {"dense_test_accuracy", r.dense.accuracy},
         {"pruned_test_accuracy", r.pruned.accuracy},
         {"test_accuracy", r.retrained.accuracy},
         {"test_loss", r.retrained.loss},
         {"sparsity", size.sparsity()},
         {"prunable_sparsity", size.prunable_sparsity()},
         {"prunable_weights", size.prunable_weights},
         {"total_weights", size.total_weights},
         {"nonzeros", size.nonzeros},
         {"storage_bytes", storage},
         {"seconds", seconds}};
  if (pruned.scheme.kind == PruneKind::kPattern) j["pattern_set"] = pruned.patterns;
  std::cout << j.dump() << "\n";
}

void print_text(const PruneArgs& a, const PruneResult& r, double seconds) {
  const ModelStorage& size = r.storage;
  std::string formats = cat("dense ", human_bytes(static_cast<double>(size.dense_bytes)), ", CSR ",
                            human_bytes(static_cast<double>(size.csr_bytes)));
  if (size.compact_bytes > 0)
    formats += ", compacted " + human_bytes(static_cast<double>(size.compact_bytes));
  if (size.pattern_bytes > 0)
    formats += ", pattern " + human_bytes(static_cast<double>(size.pattern_bytes));
  say(cat("final        test ", percent(r.retrained.accuracy), " (dense ",
          percent(r.dense.accuracy), ")  sparsity ", percent(size.prunable_sparsity()),
          " of the pruned layers, ", percent(size.sparsity()), " overall: ", size.nonzeros, " of ",
          size.total_weights, " weights nonzero"));
  say(cat("saved ", a.output, "  storage: ", formats, "  (", format("%.1f", seconds), " s)"));
}

int run_prune(CLI::App& app, const PruneArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  const PruneRequest request = prune_request(app, a);
  validate_prune_request(request);
  const PruneResult result = prune_model(load_onnx(a.model), request, prune_printer(a));
  save_onnx(result.model, a.output);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (a.json)
    print_json(a, result, seconds);
  else
    print_text(a, result, seconds);
  return 0;
}

}  // namespace

Subcommand add_prune_command(CLI::App& parent) {
  auto a = std::make_shared<PruneArgs>();
  CLI::App* app = parent.add_subcommand(
      "prune",
      "Prune a trained ONNX classifier (ADMM, one-shot or gradual magnitude pruning), retrain "
      "it with the pruned weights held at zero, and write it as ONNX");
  app->add_option("model", a->model, "The trained model (ONNX)")->required();
  app->add_option("--scheme", a->scheme,
                  "unstructured, filter, channel, balanced:B (the same share of every B "
                  "weights), block:B (whole blocks of B outputs at one input weight; block:4 "
                  "runs on the block-sparse kernels), nm:N:M (at most N of every M), or pattern "
                  "(3x3 convs; the other layers take unstructured --sparsity, or stay dense)")
      ->capture_default_str();
  app->add_option("--sparsity", a->sparsity, "The pruned fraction of each pruned layer, in [0, 1)");
  app->add_option("--patterns", a->patterns, "pattern: the size of the pattern set (1-56)")
      ->capture_default_str();
  app->add_option("--connectivity", a->connectivity,
                  "pattern: keep 1/R of the 3x3 kernels (connectivity pruning; 1 keeps all)")
      ->capture_default_str();
  app->add_option("--method", a->method,
                  "admm (ADMM training towards the constraint set, then hard pruning), "
                  "magnitude (one-shot projection), or gradual (sparsity ramped on Zhu & "
                  "Gupta's cubic curve)")
      ->capture_default_str();
  app->add_option("--data", a->data, kDatasetSpecHelp)->capture_default_str();
  app->add_option("--admm-epochs", a->admm_epochs,
                  "Epochs before hard pruning: ADMM training, or gradual pruning's ramp")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
  app->add_option("--retrain-epochs", a->retrain_epochs,
                  "Epochs of masked retraining after pruning (0: none)")
      ->check(CLI::Range(int64_t{0}, int64_t{100000}))
      ->capture_default_str();
  app->add_option("--interval", a->interval,
                  "Steps between ADMM's Z/U updates or gradual pruning's cuts (0: a quarter "
                  "of an epoch for admm, a tenth for gradual)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--rho", a->rho, "admm: the penalty's initial weight")->capture_default_str();
  app->add_option("--rho-factor", a->rho_factor, "admm: rho's growth per Z/U update")
      ->capture_default_str();
  app->add_option("--rho-max", a->rho_max, "admm: rho's cap")->capture_default_str();
  app->add_option("--bits", a->bits,
                  "Quantize the pruned layers' survivors too (4 or 8; 0: float): ADMM's "
                  "constraint set becomes the sparse weights on a symmetric per-channel grid, "
                  "and retraining is quantization-aware")
      ->capture_default_str();
  app->add_option("--layer-sparsity", a->layer_sparsity,
                  "WEIGHT=S: prune this weight (an initializer name, as `sinter info` lists "
                  "them) at its own sparsity S instead of --sparsity; 0 leaves it dense. "
                  "Repeatable or comma-separated")
      ->delimiter(',');
  app->add_flag("--prune-ends", a->prune_ends,
                "Prune the stem conv and the classifier too (left dense by default)");
  app->add_option("--batch", a->batch, "Samples per training step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_option("--lr", a->lr, "Peak learning rate of each phase (cosine schedule)")
      ->capture_default_str();
  app->add_option("--momentum", a->momentum, "SGD momentum")->capture_default_str();
  app->add_option("--weight-decay", a->weight_decay, "L2 weight decay")->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads (the caller counts as one)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--seed", a->seed, "Seeds the data order and dropout")->capture_default_str();
  app->add_option("--train-limit", a->train_limit, "Use only the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--test-limit", a->test_limit, "Use only the first N test images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("-o,--output", a->output, "The pruned model (ONNX)")->required();
  app->add_flag("--json", a->json,
                "Print one JSON line at the end (test_accuracy, sparsity, storage_bytes, ...) "
                "instead of text and progress");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  return {app, [app, a] { return run_prune(*app, *a); }};
}

}  // namespace sinter::cli
