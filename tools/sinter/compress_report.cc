// `sinter compress-report`: compares compressed models with a reference (the first model): how
// each was compressed, its test accuracy, its weights and nonzeros, its bytes in the storage
// format that fits it, and optionally its inference time; as a table, CSV, JSON and a PNG plot.
// A model may be a plan file (`sinter compile`): it is evaluated and timed as compiled, at the
// batch it was compiled for.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "compress/compression_record.h"
#include "compress/model_storage.h"
#include "compression_plot.h"
#include "core/atomic_file.h"
#include "data/dataset_spec.h"
#include "onnx/onnx_import.h"
#include "runtime/plan_file.h"
#include "runtime/session.h"
#include "train/evaluate.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct ReportArgs {
  std::vector<std::string> models;
  std::string data = "fashion-mnist";
  int64_t test_limit = 0;
  int threads = 1;
  int64_t batch = 64;
  bool time = false;
  int reps = 20;
  std::string output = "compress-report";
  bool json = false;
  bool quiet = false;
};

struct ModelReport {
  std::string file, name;
  Graph graph;                    // a plan's: its optimized graph
  std::unique_ptr<Session> plan;  // set for plan files
  int64_t plan_batch = 0;
  CompressionRecord record;
  double accuracy = 0;
  StoredModelSize size;
  double ms_batch_1 = 0, ms_batch_b = 0;  // median per image, with --time; a plan's at its batch
};

// A ratio as a JSON number, null when the divisor is 0 (nothing left to divide by).
Json ratio(double num, double den) { return den > 0 ? Json(num / den) : Json(nullptr); }

std::string ratio_text(double num, double den) {
  return den > 0 ? format("%.2fx", num / den) : std::string("-");
}

// Fails before any work when a model cannot take the dataset's images, naming the file.
void check_input_fits(const ModelReport& m, const Dataset& data) {
  if (m.graph.inputs.size() != 1)
    throw InputError(cat(m.file, ": the model has ", m.graph.inputs.size(),
                         " inputs; a classifier of images has one"));
  const ValueType* t = m.graph.type_of(m.graph.inputs[0]);
  if (!t || !t->has_shape) return;  // evaluate() finds out when it runs
  const Shape& images = data.images.shape();
  bool fits = t->shape.size() == images.size();
  for (size_t d = 1; fits && d < images.size(); ++d)
    fits = t->shape[d] < 0 || t->shape[d] == images[d];
  if (!fits)
    throw InputError(cat(m.file, ": the model input ", shape_str(t->shape),
                         " does not fit the images of ", data.name, " ", shape_str(images)));
}

// Median milliseconds per image over `reps` runs of `session` at `batch` on random images, as
// `sinter bench` times a model: a few warm-up runs first.
double ms_per_image(Session& session, const std::string& input, const Shape& image, int64_t batch,
                    int reps) {
  Shape shape = image;
  shape[0] = batch;
  const auto inputs = make_inputs({{input, DType::kFloat32, shape}}, true);
  for (int i = 0; i < 3; ++i) session.run(inputs);
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    session.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2] / static_cast<double>(batch);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A plan file holds its weights in the kernels' own forms: its row gives the file's bytes, not
// weights counted in a storage format.
Json model_json(const ModelReport& m, const ModelReport& ref, const ReportArgs& a) {
  const CompressionRecord& r = m.record;
  auto counted = [&](int64_t v) { return m.plan ? Json(nullptr) : Json(v); };
  Json j{{"name", m.name},
         {"file", m.file},
         {"compression", r.label()},
         {"prune_scheme", r.prune ? Json(scheme_name(r.prune->scheme)) : Json(nullptr)},
         {"prune_method", r.prune ? Json(r.prune->method) : Json(nullptr)},
         {"prune_sparsity", r.prune ? Json(r.prune->sparsity) : Json(nullptr)},
         {"quantization", r.quantization ? Json(r.quantization->describe()) : Json(nullptr)},
         {"test_accuracy", m.accuracy},
         {"accuracy_delta_pp", 100 * (m.accuracy - ref.accuracy)},
         {"weights", counted(m.size.weights)},
         {"nonzero_weights", counted(m.size.nonzeros)},
         {"quantized_weights", counted(m.size.quantized_weights)},
         {"weight_compression", m.plan ? Json(nullptr)
                                       : ratio(static_cast<double>(ref.size.nonzeros),
                                               static_cast<double>(m.size.nonzeros))},
         {"dense_bytes", counted(m.size.dense_bytes)},
         {"storage_format", m.plan ? "plan" : storage_format_name(r.storage_format())},
         {"value_bits", counted(m.record.value_bits())},
         {"stored_bytes", m.size.bytes},
         {"param_bytes", counted(m.size.param_bytes)},
         {"byte_compression",
          ratio(static_cast<double>(ref.size.dense_bytes), static_cast<double>(m.size.bytes))}};
  j["plan_batch"] = m.plan ? Json(m.plan_batch) : Json(nullptr);
  if (a.time) {
    j["ms_per_image_batch_1"] = m.ms_batch_1 > 0 ? Json(m.ms_batch_1) : Json(nullptr);
    j["ms_per_image_batch_b"] = m.ms_batch_b > 0 ? Json(m.ms_batch_b) : Json(nullptr);
  }
  return j;
}

std::string report_csv(const std::vector<ModelReport>& models, const ReportArgs& a) {
  std::string csv =
      "name,file,compression,test_accuracy,accuracy_delta_pp,weights,nonzero_weights,"
      "weight_compression,dense_bytes,storage_format,value_bits,stored_bytes,param_bytes,"
      "byte_compression";
  csv += a.time ? ",batch,ms_per_image_batch_1,ms_per_image_batch_b\n" : "\n";
  for (const ModelReport& m : models) {
    const Json j = model_json(m, models.front(), a);
    auto number = [&](const char* key) {
      return j[key].is_null() ? std::string() : format("%.9g", j[key].get<double>());
    };
    auto integer = [&](const char* key) {
      return j[key].is_null() ? std::string() : std::to_string(j[key].get<int64_t>());
    };
    csv += cat(csv_field(m.name), ",", csv_field(m.file), ",", csv_field(m.record.label()), ",",
               number("test_accuracy"), ",", number("accuracy_delta_pp"), ",", integer("weights"),
               ",", integer("nonzero_weights"), ",", number("weight_compression"), ",",
               integer("dense_bytes"), ",", j["storage_format"].get<std::string>(), ",",
               integer("value_bits"), ",", m.size.bytes, ",", integer("param_bytes"), ",",
               number("byte_compression"));
    if (a.time)
      csv += cat(",", a.batch, ",", number("ms_per_image_batch_1"), ",",
                 number("ms_per_image_batch_b"));
    csv += "\n";
  }
  return csv;
}

void print_table(const std::vector<ModelReport>& models, const ReportArgs& a, const Dataset& test) {
  const ModelReport& ref = models.front();
  std::vector<std::string> header = {"model",   "compression", "test acc", "delta pp",
                                     "weights", "nonzero",     "fewer",    "dense",
                                     "stored",  "as",          "smaller"};
  if (a.time) {
    header.push_back("ms/img b1");
    header.push_back(cat("ms/img b", a.batch));
  }
  std::vector<std::vector<std::string>> rows;
  for (const ModelReport& m : models) {
    std::vector<std::string> row = {
        m.name,
        m.record.label(),
        format("%.2f%%", 100 * m.accuracy),
        format("%+.2f", 100 * (m.accuracy - ref.accuracy)),
        m.plan ? "-" : std::to_string(m.size.weights),
        m.plan ? "-" : std::to_string(m.size.nonzeros),
        m.plan ? "-"
               : ratio_text(static_cast<double>(ref.size.nonzeros),
                            static_cast<double>(m.size.nonzeros)),
        m.plan ? "-" : human_bytes(static_cast<double>(m.size.dense_bytes)),
        human_bytes(static_cast<double>(m.size.bytes)),
        m.plan ? "plan file"
               : cat(storage_format_name(m.record.storage_format()), " ", m.record.value_bits(),
                     "-bit"),
        ratio_text(static_cast<double>(ref.size.dense_bytes), static_cast<double>(m.size.bytes))};
    if (a.time) {
      row.push_back(m.ms_batch_1 > 0 ? format("%.4f", m.ms_batch_1) : std::string("-"));
      row.push_back(m.ms_batch_b > 0 ? format("%.4f", m.ms_batch_b) : std::string("-"));
    }
    rows.push_back(std::move(row));
  }
  std::printf(
      "reference: %s; %lld test images of %s; fewer: nonzero weights against the "
      "reference's, smaller: stored bytes against its dense bytes\n",
      ref.name.c_str(), static_cast<long long>(test.size()), test.name.c_str());
  std::cout << format_table(header, rows, {2, 3, 4, 5, 6, 7, 8, 10, 11, 12});
}

// Writes the CSV, the JSON and the PNG, or none of them: the PNG goes to a temporary name, the
// text files are written atomically, and anything written is removed if a later write fails.
// Returns whether the PNG was drawn (gnuplot may be missing).
bool write_outputs(const std::vector<ModelReport>& models, const ReportArgs& a, const Json& report,
                   const std::string& title) {
  const std::string csv = a.output + ".csv", json = a.output + ".json", png = a.output + ".png";
  const std::string png_tmp = png + ".tmp";
  std::vector<CompressionPoint> points;
  for (const ModelReport& m : models)
    if (m.size.bytes > 0)
      points.push_back(
          {m.name,
           static_cast<double>(models.front().size.dense_bytes) / static_cast<double>(m.size.bytes),
           m.accuracy});
  const bool plotted =
      plot_compression(points, models.front().accuracy, models.front().name, png_tmp, title);
  std::vector<std::string> written;
  std::error_code ec;
  try {
    write_file_atomically(csv, report_csv(models, a));
    written.push_back(csv);
    write_file_atomically(json, report.dump(2) + "\n");
    written.push_back(json);
    if (plotted) {
      std::filesystem::rename(png_tmp, png, ec);
      if (ec) throw InputError(cat("cannot write ", png, ": ", ec.message()));
    }
  } catch (...) {
    for (const std::string& f : written) std::filesystem::remove(f, ec);
    std::filesystem::remove(png_tmp, ec);
    throw;
  }
  return plotted;
}

int run_report(const ReportArgs& a) {
  if (a.models.empty())
    throw InputError(
        "give at least one model; the first is the reference the others are "
        "compared with");
  const std::filesystem::path dir = std::filesystem::path(a.output).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir))
    throw InputError(cat("output directory '", dir.string(), "' does not exist"));
  auto progress = [&](const std::string& line) {
    if (a.quiet) return;
    std::fprintf(stderr, "sinter: compress-report: %s\n", line.c_str());
    std::fflush(stderr);
  };

  Dataset test = load_dataset(a.data, false);
  limit_dataset(test, a.test_limit);
  std::vector<ModelReport> models;
  for (const std::string& file : a.models) {
    ModelReport m;
    m.file = file;
    m.name = std::filesystem::path(file).stem().string();
    if (is_plan_file(file)) {
      m.name = std::filesystem::path(file).filename().string();
      m.plan = load_plan_file(file, {a.threads});
      m.graph = m.plan->compiled_graph();
      const ValueType* t = m.graph.type_of(m.graph.inputs.at(0));
      m.plan_batch = t && t->has_shape && !t->shape.empty() ? t->shape[0] : 0;
      if (m.plan_batch < 1) throw InputError(cat(file, ": the plan's input has no fixed batch"));
    } else {
      m.graph = load_onnx(file);
    }
    try {
      m.record = read_compression_record(m.graph);
    } catch (const Error& e) {
      throw ModelError(cat(file, ": ", e.what()));
    }
    check_input_fits(m, test);
    models.push_back(std::move(m));
  }

  for (size_t i = 0; i < models.size(); ++i) {
    ModelReport& m = models[i];
    const std::string who = cat("[", static_cast<int64_t>(i + 1), "/",
                                static_cast<int64_t>(models.size()), "] ", m.name);
    const auto t0 = Clock::now();
    try {
      progress(cat(who, " (", m.record.label(), "): evaluating on ", test.size(), " images"));
      m.accuracy = m.plan ? evaluate(*m.plan, m.graph.inputs[0], m.plan_batch, test).accuracy
                          : evaluate(m.graph, test, a.batch, a.threads).accuracy;
      if (m.plan) {
        m.size.bytes = static_cast<int64_t>(std::filesystem::file_size(m.file));
      } else {
        m.size = measure_stored_size(
            m.graph, m.record.storage_format(),
            m.record.prune ? static_cast<int64_t>(m.record.prune->patterns.size()) : 0,
            m.record.value_bits());
      }
      if (a.time && m.plan) {
        progress(cat(who, ": timing the plan at its batch, ", m.plan_batch));
        const double ms =
            ms_per_image(*m.plan, m.graph.inputs[0], test.images.shape(), m.plan_batch, a.reps);
        (m.plan_batch == 1 ? m.ms_batch_1 : m.ms_batch_b) = ms;
      } else if (a.time) {
        Session session(m.graph, {a.threads, true, false});
        progress(cat(who, ": timing at batch 1"));
        m.ms_batch_1 = ms_per_image(session, m.graph.inputs[0], test.images.shape(), 1, a.reps);
        progress(cat(who, ": timing at batch ", a.batch));
        m.ms_batch_b =
            ms_per_image(session, m.graph.inputs[0], test.images.shape(), a.batch, a.reps);
      }
    } catch (const Error& e) {
      throw InputError(cat(m.file, ": ", e.what()));
    }
    progress(cat(who, ": ", format("%.2f%%", 100 * m.accuracy), ", ",
                 human_bytes(static_cast<double>(m.size.bytes)), " stored (",
                 format("%.1f", std::chrono::duration<double>(Clock::now() - t0).count()), " s)"));
  }

  Json list = Json::array();
  for (const ModelReport& m : models) list.push_back(model_json(m, models.front(), a));
  const std::string png = a.output + ".png";
  Json report{{"reference", models.front().name},
              {"data", test.name},
              {"test_samples", test.size()},
              {"threads", a.threads}};
  if (a.time) report["batch"] = a.batch;
  report["models"] = list;
  report["csv"] = a.output + ".csv";
  report["json"] = a.output + ".json";
  report["png"] = png;
  const std::string title =
      cat("test accuracy against compression (", test.name, ", ", test.size(), " test images)");
  const bool plotted = write_outputs(models, a, report, title);
  if (!plotted) {
    std::fprintf(stderr, "sinter: warning: gnuplot is missing or failed; wrote no %s\n",
                 png.c_str());
    report["png"] = nullptr;
  }
  if (a.json) {
    std::cout << report.dump() << "\n";
    return 0;
  }
  print_table(models, a, test);
  std::printf("wrote %s.csv, %s.json%s\n", a.output.c_str(), a.output.c_str(),
              plotted ? (", " + png).c_str() : "");
  return 0;
}

}  // namespace

Subcommand add_compress_report_command(CLI::App& parent) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* app = parent.add_subcommand(
      "compress-report",
      "Compare compressed models with a reference (the first model): compression, test "
      "accuracy, weights, bytes with indices counted, optionally inference time; writes "
      "PREFIX.csv, PREFIX.json and PREFIX.png (accuracy against compression)");
  app->add_option("models", a->models,
                  "ONNX models or plan files (`sinter compile`, run at the batch they were "
                  "compiled for); the first is the reference (usually the dense one)");
  app->add_option("--data", a->data, kDatasetSpecHelp)->capture_default_str();
  app->add_option("--test-limit", a->test_limit, "Use only the first N test images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--batch", a->batch, "Images per inference run, evaluated and timed")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_flag("--time", a->time,
                "Also time inference: the median per image at batch 1 and at --batch");
  app->add_option("--reps", a->reps, "--time: timed runs per batch size")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app->add_option("-o,--output", a->output,
                  "Prefix of the report files (PREFIX.csv, .json, .png); its directory must exist")
      ->capture_default_str();
  app->add_flag("--json", a->json,
                "Print the report as one JSON line (each model's test_accuracy, stored_bytes, "
                "byte_compression, ...) instead of the table");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  return {app, [a] { return run_report(*a); }};
}

}  // namespace sinter::cli
