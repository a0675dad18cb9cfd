// `sinter run`: runs a model once on .npy inputs; writes .npy outputs or summarizes them.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "core/npy.h"
#include "model_arg.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  int threads = 1;
  CLI::Option* threads_option = nullptr;
  bool json = false;
  bool no_optimize = false;
  bool dense_kernels = false;
  bool nchw = false;
  std::string schedule = "sequential";
  bool float_layers = false;
  bool allow_nonfinite = false;
};

std::string list_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

// Binds "[NAME=]path" specs to model values: "NAME=" when NAME is one of `names`, else the
// i-th spec goes to the i-th name. Returns (value index, path) per spec.
std::vector<std::pair<size_t, std::string>> bind_specs(const std::vector<std::string>& specs,
                                                       const std::vector<std::string>& names,
                                                       const char* kind, bool files_exist) {
  std::vector<std::pair<size_t, std::string>> bound;
  std::vector<int> taken(names.size(), -1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string& spec = specs[i];
    size_t index = names.size();
    std::string path = spec;
    size_t eq = spec.find('=');
    if (eq != std::string::npos) {
      std::string prefix = spec.substr(0, eq);
      auto it = std::find(names.begin(), names.end(), prefix);
      if (it != names.end()) {
        index = static_cast<size_t>(it - names.begin());
        path = spec.substr(eq + 1);
      } else if (!files_exist || !std::filesystem::exists(spec)) {
        throw InputError(cat("'", spec, "': the model has no ", kind, " named '", prefix, "' (",
                             kind, "s: ", list_names(names), ")"));
      }
    }
    if (index == names.size()) {
      if (i >= names.size())
        throw InputError(cat(specs.size(), " ", kind, " files given but the model has ",
                             names.size(), " ", kind, "s (", list_names(names), ")"));
      index = i;
    }
    if (path.empty()) throw InputError(cat("'", spec, "': no file name after '='"));
    if (taken[index] >= 0)
      throw InputError(cat(kind, " '", names[index], "' is given twice ('", specs[taken[index]],
                           "' and '", spec, "')"));
    taken[index] = static_cast<int>(i);
    bound.emplace_back(index, path);
  }
  return bound;
}

// The Session checks inputs too; checking here lets the message name the file.
void check_against_model(const Graph& model, const std::string& name, const Tensor& t,
                         const std::string& path) {
  const ValueType* want = model.type_of(name);
  if (!want) return;
  bool shape_ok = !want->has_shape || want->shape.size() == t.shape().size();
  for (size_t d = 0; shape_ok && want->has_shape && d < want->shape.size(); ++d)
    shape_ok = want->shape[d] < 0 || want->shape[d] == t.shape()[d];
  if (t.dtype() == want->dtype && shape_ok) return;
  std::string hint = t.dtype() != want->dtype ? cat(" (convert it with numpy: a.astype('",
                                                    dtype_name(want->dtype), "'))")
                                              : "";
  throw InputError(cat(path, ": holds ", dtype_name(t.dtype()), " ", shape_str(t.shape()),
                       " but model input '", name, "' is ", dtype_name(want->dtype), " ",
                       want->has_shape ? shape_str(want->shape) : "of any shape", hint));
}

// Shape, a few values, min/max/mean and, for 2-D, the argmax of each row.
Json summarize(const std::string& name, const Tensor& t) {
  Json j{{"name", name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape()}};
  Json first = Json::array();
  for (int64_t i = 0; i < std::min<int64_t>(t.numel(), 8); ++i)
    first.push_back(t.value_as_double(i));
  j["first"] = first;
  if (t.numel() > 0) {
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = t.value_as_double(i);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    j["min"] = lo;
    j["max"] = hi;
    j["mean"] = sum / static_cast<double>(t.numel());
  }
  if (t.rank() == 2 && t.dim(1) > 0) {
    Json argmax = Json::array();
    for (int64_t r = 0; r < t.dim(0); ++r) {
      int64_t best = 0;
      for (int64_t c = 1; c < t.dim(1); ++c)
        if (t.value_as_double(r * t.dim(1) + c) > t.value_as_double(r * t.dim(1) + best)) best = c;
      argmax.push_back(best);
    }
    j["argmax"] = argmax;
  }
  return j;
}

void print_summary(const Json& s) {
  std::string values;
  for (const auto& v : s["first"]) values += (values.empty() ? "" : " ") + format_value(v);
  int64_t numel = 1;
  for (const auto& d : s["shape"]) numel *= d.get<int64_t>();
  std::cout << "output '" << s["name"].get<std::string>() << "' " << s["dtype"].get<std::string>()
            << " " << shape_str(s["shape"].get<Shape>()) << ": " << values
            << (numel > static_cast<int64_t>(s["first"].size()) ? " ..." : "") << "\n";
  if (s.contains("min"))
    std::cout << "  min " << format_value(s["min"]) << "  max " << format_value(s["max"])
              << "  mean " << format_value(s["mean"]) << "\n";
  if (s.contains("argmax")) {
    std::string a;
    size_t shown = 0;
    for (const auto& v : s["argmax"]) {
      if (shown++ == 16) {
        a += " ...";
        break;
      }
      a += (a.empty() ? "" : " ") + std::to_string(v.get<int64_t>());
    }
    std::cout << "  argmax per row: " << a << "\n";
  }
}

// Writes every requested output; if one fails, those already written by this call are removed
// so that a failed run leaves no output behind.
void write_outputs(const std::vector<std::pair<size_t, std::string>>& files,
                   const std::vector<Tensor>& outputs) {
  std::vector<std::string> written;
  try {
    for (const auto& [index, path] : files) {
      write_npy(path, outputs[index]);
      written.push_back(path);
    }
  } catch (...) {
    for (const auto& p : written) std::remove(p.c_str());
    throw;
  }
}

int run_run(const RunOptions& o) {
  SessionOptions options{o.threads, !o.no_optimize, false};
  options.sparse_kernels = !o.dense_kernels;
  options.blocked_layout = !o.nchw;
  options.integer_layers = !o.float_layers;
  options.schedule = *parse_scheduling(o.schedule);
  OpenedModel opened = open_model(o.model, options, o.threads_option->count() > 0);
  Session& session = *opened.session;
  const Graph& model = session.model();
  auto in_files = bind_specs(o.inputs, model.inputs, "input", true);
  auto out_files = bind_specs(o.outputs, model.outputs, "output", false);
  for (size_t a = 0; a < out_files.size(); ++a)
    for (size_t b = a + 1; b < out_files.size(); ++b)
      if (std::filesystem::absolute(out_files[a].second).lexically_normal() ==
          std::filesystem::absolute(out_files[b].second).lexically_normal())
        throw InputError(cat("outputs '", model.outputs[out_files[a].first], "' and '",
                             model.outputs[out_files[b].first], "' are both written to ",
                             out_files[a].second));

  std::unordered_map<std::string, Tensor> inputs;
  for (const auto& [index, path] : in_files) {
    const std::string& name = model.inputs[index];
    Tensor t = read_npy(path);
    check_against_model(model, name, t, path);
    if (int64_t bad = find_nonfinite(t); bad >= 0 && !o.allow_nonfinite)
      throw InputError(cat(path, ": input '", name, "' holds ", t.value_as_double(bad),
                           " at flat index ", bad, " (pass --allow-nonfinite to run anyway)"));
    inputs[name] = std::move(t);
  }
  std::vector<std::string> output_names = model.outputs;

  const int threads = session.pool().num_threads();
  auto t0 = std::chrono::steady_clock::now();
  session.prepare(inputs);
  auto t1 = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = session.run(inputs);
  auto t2 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < outputs.size(); ++i)
    if (int64_t bad = find_nonfinite(outputs[i]); bad >= 0)
      std::cerr << "sinter: warning: output '" << output_names[i] << "' holds "
                << outputs[i].value_as_double(bad) << " at flat index " << bad << "\n";
  write_outputs(out_files, outputs);

  double compile_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  double run_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  Json summaries = Json::array();
  for (size_t i = 0; i < outputs.size(); ++i) {
    Json s = summarize(output_names[i], outputs[i]);
    for (const auto& [index, path] : out_files)
      if (index == i) s["file"] = path;
    summaries.push_back(std::move(s));
  }
  if (o.json) {
    Json j{{"model", o.model},         {"threads", threads}, {"optimize", !o.no_optimize},
           {"compile_ms", compile_ms}, {"run_ms", run_ms},   {"outputs", summaries}};
    if (opened.plan) j["plan_load_ms"] = opened.load_ms;
    std::cout << j.dump() << "\n";
    return 0;
  }
  for (const auto& s : summaries) {
    if (s.contains("file")) {
      std::cout << "wrote " << s["file"].get<std::string>() << ": output '"
                << s["name"].get<std::string>() << "' " << s["dtype"].get<std::string>() << " "
                << shape_str(s["shape"].get<Shape>()) << "\n";
    } else if (out_files.empty()) {
      print_summary(s);
    }
  }
  std::cout << (opened.plan ? format("loaded the plan in %.3f ms, ran in ", opened.load_ms)
                            : format("compiled in %.3f ms, ran in ", compile_ms))
            << format("%.3f ms", run_ms) << " (" << threads
            << (threads == 1 ? " thread" : " threads") << ")\n";
  return 0;
}

}  // namespace

Subcommand add_run_command(CLI::App& parent) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* app = parent.add_subcommand("run", "Run a model once on .npy inputs");
  app->add_option("model", o->model, "ONNX model or plan file (sinter compile)")->required();
  app->add_option("-i,--input", o->inputs,
                  "[NAME=]file.npy; repeat for several inputs (without NAME the i-th file is the "
                  "i-th model input)")
      ->allow_extra_args(false);
  app->add_option("-o,--output", o->outputs,
                  "[NAME=]file.npy to write (without NAME the i-th file is the i-th model "
                  "output); without -o each output is summarized")
      ->allow_extra_args(false);
  o->threads_option = app->add_option("--threads", o->threads,
                                      "Worker threads (for a plan file: the threads it was "
                                      "compiled for)")
                          ->check(CLI::Range(1, 1024))
                          ->capture_default_str();
  app->add_flag("--json", o->json, "Print one JSON object instead of text");
  app->add_flag("--no-optimize", o->no_optimize, "Skip the graph optimization passes");
  app->add_flag("--dense-kernels", o->dense_kernels,
                "Keep pruned weights on the dense kernels (no sparse Conv/Gemm kernels)");
  add_schedule_option(*app, o->schedule);
  app->add_flag("--nchw", o->nchw,
                "Keep every tensor NCHW (no channel-blocked convolution regions)");
  app->add_flag("--float-layers", o->float_layers,
                "Run a QDQ model's quantized layers in float on dequantized weights (no integer "
                "kernels)");
  app->add_flag("--allow-nonfinite", o->allow_nonfinite,
                "Run even when an input holds NaN or infinity (refused by default)");
  return {app, [o] { return run_run(*o); }};
}

}  // namespace sinter::cli
