// `sinter prune`: prunes a trained ONNX classifier to a sparsity scheme by ADMM, one-shot
// magnitude or gradual magnitude pruning, retrains it with the pruned weights held at zero, and
// writes an ordinary ONNX file whose pruned weights are zeros, with the scheme in its metadata.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.h"
#include "compress/admm.h"
#include "compress/compression_record.h"
#include "compress/gradual_pruning.h"
#include "compress/masked_training.h"
#include "compress/model_storage.h"
#include "compress/qdq_export.h"
#include "compress/quant_aware_training.h"
#include "core/parse_number.h"
#include "dataset_arg.h"
#include "fine_tune_phase.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "train/evaluate.h"
#include "train/fit.h"

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

bool given(CLI::App& app, const char* option) { return app.get_option(option)->count() > 0; }

// The scheme with the numbers the command line gives it; options that do not apply to the
// scheme or method are errors rather than silently ignored.
PruneScheme scheme_from_args(CLI::App& app, const PruneArgs& a) {
  PruneScheme s = parse_prune_scheme(a.scheme);
  const bool pattern = s.kind == PruneKind::kPattern;
  if (!pattern && (given(app, "--patterns") || given(app, "--connectivity")))
    throw InputError(
        cat("--patterns and --connectivity apply to --scheme pattern, not ", a.scheme));
  if (s.kind == PruneKind::kNOfM && given(app, "--sparsity"))
    throw InputError(
        cat("--scheme ", a.scheme, " fixes the sparsity at 1 - N/M; leave out --sparsity"));
  if (has_free_sparsity(s) && !given(app, "--sparsity"))
    throw InputError(
        cat("--scheme ", a.scheme, " needs --sparsity (the pruned fraction, e.g. 0.8)"));
  if (a.method != "admm" && a.method != "magnitude" && a.method != "gradual")
    throw InputError(cat("--method '", a.method, "' is not one of admm, magnitude, gradual"));
  if (a.method == "gradual" && !has_free_sparsity(s))
    throw InputError(cat("--method gradual ramps a sparsity, and --scheme ", a.scheme,
                         " fixes its own; use admm or magnitude"));
  if (a.method == "magnitude" && given(app, "--admm-epochs"))
    throw InputError(
        "--admm-epochs applies to --method admm and gradual; magnitude prunes at once");
  if (a.method != "admm" &&
      (given(app, "--rho") || given(app, "--rho-factor") || given(app, "--rho-max")))
    throw InputError("--rho, --rho-factor and --rho-max apply to --method admm");
  if (a.bits != 0 && a.bits != 4 && a.bits != 8)
    throw InputError(cat("--bits must be 4 or 8 (or 0: float survivors), got ", a.bits));
  s.sparsity = a.sparsity;
  s.pattern_count = a.patterns;
  s.connectivity = a.connectivity;
  validate_prune_scheme(s);
  return s;
}

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

std::string percent(double v) { return format("%.2f%%", 100 * v); }

int run_prune(CLI::App& app, const PruneArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  const PruneScheme scheme = scheme_from_args(app, a);
  Graph model = load_onnx(a.model);
  const PrunePlan plan(model, scheme, {a.prune_ends, layer_sparsities(a.layer_sparsity)});
  std::optional<QuantScheme> levels;
  if (a.bits > 0) {
    levels.emplace();
    levels->bits = a.bits;
    levels->granularity = QuantGranularity::kChannel;  // survives BatchNorm folding exactly
  }

  Dataset train = load_dataset_arg(a.data, true);
  Dataset test = load_dataset_arg(a.data, false);
  limit_dataset(train, a.train_limit);
  limit_dataset(test, a.test_limit);
  const FineTuneSettings settings{a.batch, a.threads, a.seed, a.lr, a.momentum, a.weight_decay};
  DataLoader loader(train, fine_tune_loader(settings));
  const PhaseOutput out{"prune", a.quiet, a.json};
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  auto trainer_options = [&](int64_t epochs) {
    return fine_tune_trainer(settings, epochs, steps_per_epoch);
  };
  auto say = [&](const std::string& line) {
    if (a.json) return;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };

  if (!a.quiet && !a.json) {
    int64_t prunable = 0;
    for (const PruneTarget& t : plan.targets()) prunable += model.initializers.at(t.weight).numel();
    std::string dense;
    for (const std::string& d : plan.left_dense()) dense += (dense.empty() ? "" : ", ") + d;
    std::fprintf(stderr,
                 "sinter: prune: %s, scheme %s, method %s: %lld weights in %zu tensors to prune "
                 "(left dense: %s); %lld training and %lld test images, %d thread%s\n",
                 a.model.c_str(), scheme_name(scheme).c_str(), a.method.c_str(),
                 static_cast<long long>(prunable), plan.targets().size(),
                 dense.empty() ? "none" : dense.c_str(), static_cast<long long>(train.size()),
                 static_cast<long long>(test.size()), a.threads, a.threads == 1 ? "" : "s");
  }
  const Evaluation dense_eval = evaluate(model, test, 256, a.threads);
  say(cat("dense        test ", percent(dense_eval.accuracy)));

  // Phase 1: reach the constraint set (ADMM, the gradual ramp, or at once).
  std::vector<Mask> masks;
  if (a.method == "magnitude") {
    masks = hard_prune(model, plan);
  } else {
    Trainer trainer(model, trainer_options(a.admm_epochs));
    if (a.method == "admm") {
      AdmmOptions o;
      o.rho = a.rho;
      o.rho_factor = a.rho_factor;
      o.rho_max = a.rho_max;
      o.interval = a.interval > 0 ? a.interval : std::max<int64_t>(1, steps_per_epoch / 4);
      if (levels) o.levels = *levels;
      AdmmPruner admm(trainer, plan, o);
      train_phase(trainer, loader, test, a.admm_epochs, "admm", out, [&] {
        return cat("rho ", format("%.3g", admm.rho()), "  distance to the set ",
                   format("%.3f", admm.distance_to_set()));
      });
      masks = admm.hard_prune();
    } else {
      GradualPruningOptions o;
      o.end_step = a.admm_epochs * steps_per_epoch;
      o.interval = a.interval > 0 ? a.interval : std::max<int64_t>(1, steps_per_epoch / 10);
      GradualPruner gradual(trainer, plan, o);
      train_phase(trainer, loader, test, a.admm_epochs, "gradual", out,
                  [&] { return "sparsity " + percent(gradual.sparsity()); });
      masks = gradual.masks();
    }
    model = trainer.model();
    zero_pruned_channels(model, plan, masks);
  }
  // The survivors onto their grids (ADMM with levels has put them there already).
  if (levels)
    for (const PruneTarget& t : plan.targets()) {
      Tensor& w = model.initializers.at(t.weight);
      w = exported_weight(w, t.transposed ? 1 : 0, *levels, t.weight);
    }
  const Evaluation pruned_eval = evaluate(model, test, 256, a.threads);
  say(cat("pruned       test ", percent(pruned_eval.accuracy), "  sparsity ",
          percent(target_sparsity(model, plan)), " of the pruned layers"));

  // Phase 2: masked retraining; with levels, quantization-aware, which holds the zeros itself.
  Evaluation final_eval = pruned_eval;
  if (a.retrain_epochs > 0) {
    Trainer trainer(model, trainer_options(a.retrain_epochs));
    std::optional<MaskedTraining> masked;
    std::optional<QuantAwareTraining> quant_aware;
    if (levels) {
      std::vector<QuantAwareWeight> weights;
      std::vector<std::string> channel_params;
      for (const PruneTarget& t : plan.targets()) {
        weights.push_back({t.weight, t.transposed ? 1 : 0});
        channel_params.insert(channel_params.end(), t.channel_params.begin(),
                              t.channel_params.end());
      }
      quant_aware.emplace(trainer, weights, *levels, channel_params);
    } else {
      masked.emplace(trainer, plan, masks);
    }
    train_phase(trainer, loader, test, a.retrain_epochs, "retrain", out);
    model = trainer.model();
    final_eval = evaluate(model, test, 256, a.threads);
  }

  const ModelStorage size = measure_storage(model, plan);
  PruneRecord pruned;
  pruned.scheme = scheme;
  pruned.method = a.method;
  pruned.sparsity = size.prunable_sparsity();
  for (const PruneTarget& t : plan.targets()) pruned.weights.push_back(t.weight);
  if (levels) pruned.bits = a.bits;
  pruned.layer_sparsity = layer_sparsities(a.layer_sparsity);
  if (scheme.kind == PruneKind::kPattern)
    pruned.patterns.assign(plan.pattern_set().begin(), plan.pattern_set().end());
  write_compression_record({pruned, std::nullopt}, model);
  save_onnx(model, a.output);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (a.json) {
    Json storage{{"dense", size.dense_bytes}, {"csr", size.csr_bytes}};
    if (size.compact_bytes > 0) storage["compact"] = size.compact_bytes;
    if (size.pattern_bytes > 0) storage["pattern"] = size.pattern_bytes;
    Json j{{"model", a.model},
           {"output", a.output},
           {"scheme", scheme_name(scheme)},
           {"method", a.method},
           {"bits", a.bits},
           {"dense_test_accuracy", dense_eval.accuracy},
           {"pruned_test_accuracy", pruned_eval.accuracy},
           {"test_accuracy", final_eval.accuracy},
           {"test_loss", final_eval.loss},
           {"sparsity", size.sparsity()},
           {"prunable_sparsity", size.prunable_sparsity()},
           {"prunable_weights", size.prunable_weights},
           {"total_weights", size.total_weights},
           {"nonzeros", size.nonzeros},
           {"storage_bytes", storage},
           {"seconds", seconds}};
    if (scheme.kind == PruneKind::kPattern) j["pattern_set"] = plan.pattern_set();
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::string formats = cat("dense ", human_bytes(static_cast<double>(size.dense_bytes)), ", CSR ",
                            human_bytes(static_cast<double>(size.csr_bytes)));
  if (size.compact_bytes > 0)
    formats += ", compacted " + human_bytes(static_cast<double>(size.compact_bytes));
  if (size.pattern_bytes > 0)
    formats += ", pattern " + human_bytes(static_cast<double>(size.pattern_bytes));
  say(cat("final        test ", percent(final_eval.accuracy), " (dense ",
          percent(dense_eval.accuracy), ")  sparsity ", percent(size.prunable_sparsity()),
          " of the pruned layers, ", percent(size.sparsity()), " overall: ", size.nonzeros, " of ",
          size.total_weights, " weights nonzero"));
  say(cat("saved ", a.output, "  storage: ", formats, "  (", format("%.1f", seconds), " s)"));
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
                  "weights), nm:N:M (at most N of every M), or pattern (3x3 convs; the other "
                  "layers take unstructured --sparsity, or stay dense)")
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
  app->add_option("--data", a->data, kDataHelp)->capture_default_str();
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
