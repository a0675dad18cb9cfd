// `sinter eval`: a classifier's accuracy, loss and confusion matrix on a dataset's test split.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/atomic_file.h"
#include "data/dataset_spec.h"
#include "onnx/onnx_import.h"
#include "train/evaluate.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct EvalArgs {
  std::string model;
  std::string data = "fashion-mnist";
  bool train_split = false;
  int64_t batch = 256;
  int threads = 1;
  int64_t limit = 0;
  std::string predictions;
  bool json = false;
  bool float_layers = false;
};

// index,label,predicted,logit_0,... for every sample, written atomically.
void write_predictions(const std::string& path, const Evaluation& ev, const Dataset& data) {
  std::string csv = "index,label,predicted";
  for (int64_t c = 0; c < ev.num_classes; ++c) csv += ",logit_" + std::to_string(c);
  csv += "\n";
  char buf[32];
  for (int64_t i = 0; i < ev.samples; ++i) {
    const float* row = ev.logits.data() + i * ev.num_classes;
    csv += std::to_string(i) + "," + std::to_string(data.labels.data<int64_t>()[i]) + "," +
           std::to_string(std::max_element(row, row + ev.num_classes) - row);
    for (int64_t c = 0; c < ev.num_classes; ++c) {
      std::snprintf(buf, sizeof buf, ",%.9g", row[c]);
      csv += buf;
    }
    csv += "\n";
  }
  write_file_atomically(path, csv);
}

void print_confusion(const Evaluation& ev, const std::vector<std::string>& names) {
  const int64_t k = ev.num_classes;
  std::vector<std::string> header = {"true \\ predicted"};
  for (int64_t c = 0; c < k; ++c) header.push_back(std::to_string(c));
  header.push_back("recall");
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> right;
  for (size_t c = 1; c < header.size(); ++c) right.push_back(c);
  for (int64_t t = 0; t < k; ++t) {
    std::vector<std::string> row = {std::to_string(t) + " " + names[static_cast<size_t>(t)]};
    int64_t total = 0;
    for (int64_t p = 0; p < k; ++p) {
      const int64_t n = ev.confusion[static_cast<size_t>(t * k + p)];
      total += n;
      row.push_back(std::to_string(n));
    }
    const int64_t hit = ev.confusion[static_cast<size_t>(t * k + t)];
    row.push_back(total ? format("%.1f%%", 100.0 * static_cast<double>(hit) / total) : "-");
    rows.push_back(row);
  }
  std::cout << "confusion matrix (rows: true class, columns: predicted):\n"
            << format_table(header, rows, right);
}

int run_eval(const EvalArgs& a) {
  const Graph model = load_onnx(a.model);
  Dataset data = load_dataset(a.data, a.train_split);
  limit_dataset(data, a.limit);
  const Evaluation ev =
      evaluate(model, data, a.batch, a.threads, !a.predictions.empty(), !a.float_layers);
  if (!a.predictions.empty()) write_predictions(a.predictions, ev, data);
  if (a.json) {
    Json confusion = Json::array();
    for (int64_t t = 0; t < ev.num_classes; ++t)
      confusion.push_back(std::vector<int64_t>(ev.confusion.begin() + t * ev.num_classes,
                                               ev.confusion.begin() + (t + 1) * ev.num_classes));
    std::cout << Json{{"model", a.model},
                      {"samples", ev.samples},
                      {"correct", ev.correct},
                      {"test_accuracy", ev.accuracy},
                      {"test_loss", ev.loss},
                      {"images_per_s", ev.seconds > 0 ? ev.samples / ev.seconds : 0.0},
                      {"confusion", confusion}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf(
      "model:    %s\ndata:     %s (%lld images)\naccuracy: %.2f%% (%lld of %lld)\n"
      "loss:     %.4f (mean cross-entropy)\nspeed:    %.0f images/s\n\n",
      a.model.c_str(), data.name.c_str(), static_cast<long long>(ev.samples), 100 * ev.accuracy,
      static_cast<long long>(ev.correct), static_cast<long long>(ev.samples), ev.loss,
      ev.seconds > 0 ? ev.samples / ev.seconds : 0.0);
  std::fflush(stdout);
  print_confusion(ev, class_names(a.data, ev.num_classes));
  return 0;
}

}  // namespace

Subcommand add_eval_command(CLI::App& parent) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* app = parent.add_subcommand(
      "eval", "Accuracy, loss and confusion matrix of a classifier on a dataset's test split");
  app->add_option("model", a->model, "ONNX model file (logits output)")->required();
  app->add_option("--data", a->data, kDatasetSpecHelp)->capture_default_str();
  app->add_flag("--train-split", a->train_split, "Evaluate on the training split instead");
  app->add_flag("--float-layers", a->float_layers,
                "Run a QDQ model's quantized layers in float on dequantized weights (no integer "
                "kernels)");
  app->add_option("--batch", a->batch, "Samples per inference run")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--limit", a->limit, "Use only the first N images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--predictions", a->predictions,
                  "Write every sample's label, predicted class and logits to this CSV");
  app->add_flag("--json", a->json,
                "Print one JSON line (test_accuracy, test_loss, confusion, ...) instead");
  return {app, [a] { return run_eval(*a); }};
}

}  // namespace sinter::cli
