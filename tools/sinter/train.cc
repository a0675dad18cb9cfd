// `sinter train`: trains a built-in or imported model on a dataset, with progress, per-epoch
// evaluation, checkpoints that --resume continues from, a CSV log with a plot, and the trained
// model exported as ONNX.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.h"
#include "data/dataset_spec.h"
#include "data/fashion_mnist.h"
#include "dist/compressor.h"
#include "dist/compressor_checkpoint.h"
#include "dist/data_parallel.h"
#include "dist/parameter_server.h"
#include "dist/stanza.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "progress_bar.h"
#include "runtime/profile_report.h"
#include "train/checkpoint.h"
#include "train/fit.h"
#include "train/model_zoo.h"
#include "training_log.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct TrainArgs {
  std::string model = "lenet5";
  std::string data = "fashion-mnist";
  int64_t epochs = 10;
  int64_t batch = 64;
  int threads = 1;
  uint64_t seed = 1;
  std::string optimizer = "sgd";
  float lr = 0.05f;
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
  std::string schedule = "cosine";
  int64_t warmup_steps = 0;
  std::string loss = "cross-entropy";
  float label_smoothing = 0.0f;
  float clip_norm = 0.0f;
  std::string augment = "none";
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  int64_t max_steps = 0;
  std::string output = "model.onnx";
  std::string checkpoint;
  std::string resume;
  std::string log;
  bool json = false;
  bool quiet = false;
  bool profile = false;
  std::string dist = "none";
  std::string reduction = "ring";
  double timeout = 60;
  bool no_overlap = false;
  std::string link;
  std::string slow;
  std::string compress;
  double bucket_mb = 1;
};

// The options that define a run's result: recorded in checkpoints and restored by --resume.
// --epochs may be raised on resume; the rest must match or be left out.
const std::vector<std::string> kRunSettings = {
    "model",     "data",         "batch",       "seed",         "optimizer", "lr",
    "momentum",  "weight-decay", "schedule",    "warmup-steps", "loss",      "label-smoothing",
    "clip-norm", "augment",      "train-limit", "epochs"};

// Settings of a distributed run that decide its bits (the order of the additions, the
// compressor). Checkpoints written before they were recorded resume with what is given.
const std::vector<std::string> kReductionSettings = {"reduction", "bucket-mb", "compress"};

std::string setting_value(const TrainArgs& a, const std::string& key) {
  auto f = [](double v) { return format("%.9g", v); };
  if (key == "model") return a.model;
  if (key == "data") return a.data;
  if (key == "batch") return std::to_string(a.batch);
  if (key == "seed") return std::to_string(a.seed);
  if (key == "optimizer") return a.optimizer;
  if (key == "lr") return f(a.lr);
  if (key == "momentum") return f(a.momentum);
  if (key == "weight-decay") return f(a.weight_decay);
  if (key == "schedule") return a.schedule;
  if (key == "warmup-steps") return std::to_string(a.warmup_steps);
  if (key == "loss") return a.loss;
  if (key == "label-smoothing") return f(a.label_smoothing);
  if (key == "clip-norm") return f(a.clip_norm);
  if (key == "augment") return a.augment;
  if (key == "train-limit") return std::to_string(a.train_limit);
  if (key == "epochs") return std::to_string(a.epochs);
  if (key == "reduction") return a.reduction;
  if (key == "bucket-mb") return f(a.bucket_mb);
  if (key == "compress") return a.compress;
  throw Error(cat("unknown run setting '", key, "'"));
}

// Takes the checkpoint's settings for every option not given on this command line; a given
// option that differs is an error, since the resumed run would not be the run that was started.
void restore_settings(CLI::App& app, const TrainArgs& given, const Checkpoint& c,
                      const std::string& path) {
  auto restore = [&](const std::string& key, const std::string& saved) {
    CLI::Option* opt = app.get_option("--" + key);
    if (opt->count() > 0) {
      if (key == "epochs") return;
      // Compared as parsed and formatted, so "--lr 0.05" matches a saved 0.0500000007.
      if (setting_value(given, key) != saved)
        throw InputError(cat("--", key, " ", opt->as<std::string>(), " differs from the value '",
                             saved, "' that checkpoint ", path,
                             " was trained with; leave it out to resume"));
    }
    if (saved.empty()) return;  // an option not given keeps its empty default
    opt->clear();
    opt->add_result(saved);
    opt->run_callback();
  };
  for (const std::string& key : kRunSettings) {
    auto it = c.settings.find(key);
    if (it == c.settings.end()) throw InputError(cat(path, ": checkpoint does not record --", key));
    restore(key, it->second);
  }
  for (const std::string& key : kReductionSettings)
    if (auto it = c.settings.find(key); it != c.settings.end()) restore(key, it->second);
  // The strategy decides who holds what; it cannot change, nor be taken from the checkpoint (the
  // ranks have started by then). Checkpoints that do not record it were all-reduce runs when
  // they had more than one rank.
  auto ranks = c.settings.find("ranks");
  const std::string dist = c.settings.count("dist") ? c.settings.at("dist")
                           : ranks != c.settings.end() && ranks->second != "1" ? "allreduce"
                                                                               : "none";
  if (dist != given.dist)
    throw InputError(cat("checkpoint ", path, " was written by a run with --dist ", dist,
                         "; this run has --dist ", given.dist));
}

Graph load_model_arg(const std::string& model, const Dataset& data, uint64_t seed) {
  if (std::filesystem::path(model).extension() == ".onnx") return load_onnx(model);
  ModelZooOptions zoo;
  zoo.num_classes = data.num_classes;
  const Shape& s = data.images.shape();
  zoo.in_channels = s[1];
  if (s[2] != s[3])
    throw InputError(
        cat("the built-in models take square images; ", data.name, " has ", shape_str(s)));
  zoo.image_size = s[2];
  zoo.seed = seed;
  return build_zoo_model(model, zoo);
}

std::string derived_path(const std::string& output, const std::string& suffix) {
  std::filesystem::path p(output);
  return (p.parent_path() / p.stem()).string() + suffix;
}

// The median of `values` without the first (0 when there are fewer than two).
double median_after_first(std::vector<double> values) {
  if (values.size() < 2) return 0;
  values.erase(values.begin());
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

GradientReduction parse_reduction(const std::string& name) {
  if (name == "mpi") return GradientReduction::kMpi;
  if (name == "ring") return GradientReduction::kRing;
  if (name == "rank-order") return GradientReduction::kRankOrder;
  throw InputError(cat("--reduction '", name, "' is not one of mpi, ring, rank-order"));
}

// N for "PREFIX:N" (N >= 1), else 0: the ranks of --dist ps:S and stanza:F.
int dedicated_ranks(const std::string& dist, const std::string& prefix) {
  if (dist.rfind(prefix + ":", 0) != 0) return 0;
  const std::string count = dist.substr(prefix.size() + 1);
  try {
    size_t used = 0;
    const int n = std::stoi(count, &used);
    return used == count.size() && n >= 1 ? n : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

int train(CLI::App& app, TrainArgs& a, Communicator* comm);

// Under --dist every rank runs this; a rank that loses a peer says so in one line and ends the
// whole run, since the others may be waiting on it.
int run_train(CLI::App& app, TrainArgs& a) {
  if (a.dist != "none" && a.dist != "allreduce" && dedicated_ranks(a.dist, "ps") < 1 &&
      dedicated_ranks(a.dist, "stanza") < 1)
    throw InputError(
        cat("--dist '", a.dist, "' is not one of none, allreduce, ps:SERVERS, stanza:FC_RANKS"));
  if (!(a.timeout > 0) || !std::isfinite(a.timeout))
    throw InputError(cat("--timeout must be a positive number of seconds, got ", a.timeout));
  if (a.dist == "none") return train(app, a, nullptr);
  Communicator comm(a.timeout);
  try {
    return train(app, a, &comm);
  } catch (const CommError& e) {
    std::fprintf(stderr, "sinter: error: %s\n", e.what());
    comm.abort(1);
  } catch (const Error& e) {
    // Bad input is mostly found by every rank alike; mpirun ends the others at the first rank's
    // exit, so the ranks meet once more (briefly) for every one of them to have said so.
    std::fprintf(stderr, "sinter: error: %s\n", e.what());
    comm.meet_after_error(std::min(a.timeout, 5.0));
    return 1;
  }
}

int train(CLI::App& app, TrainArgs& a, Communicator* comm) {
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  // Only rank 0 reports, evaluates and writes files.
  if (rank != 0) a.quiet = true;
  const int servers = dedicated_ranks(a.dist, "ps");
  const int fc_ranks = dedicated_ranks(a.dist, "stanza");
  std::optional<ParameterServerLayout> ps;
  std::optional<StanzaLayout> stanza;
  // The layouts are checked before anything is loaded; their sizes come later.
  if (servers > 0) ps.emplace(ranks, servers, 0);
  if (fc_ranks > 0) stanza.emplace(ranks, fc_ranks, a.batch, 0);
  const int workers = ps ? ps->workers : stanza ? stanza->workers : ranks;
  // A parameter server or a Stanza FC rank trains on no data of its own.
  const bool trains_no_data = (ps && ps->is_server(rank)) || (stanza && stanza->is_fc(rank));
  if (!a.compress.empty() && a.dist != "allreduce")
    throw InputError("--compress needs --dist allreduce");
  if ((!a.link.empty() || !a.slow.empty()) && !comm)
    throw InputError("--link and --slow emulate the links between ranks: they need --dist");
  if (!a.slow.empty() && a.link.empty()) throw InputError("--slow needs --link");
  // Checked here, before the ranks talk: every rank refuses alike.
  if (ps && a.clip_norm > 0)
    throw InputError(
        "--clip-norm needs every gradient in one place; a parameter server has them "
        "in chunks");
  if (stanza && a.clip_norm > 0)
    throw InputError(
        "--clip-norm needs every gradient in one place; Stanza keeps the classifier's on its "
        "own ranks");
  if ((ps || stanza) && !a.resume.empty())
    throw InputError(cat("--resume of a ", ps ? "parameter-server" : "Stanza",
                         " run is not supported: part of the optimizer's state lives on the ",
                         ps ? "servers" : "fully connected ranks", ", which write no checkpoint"));
  std::optional<Checkpoint> resumed;
  if (!a.resume.empty()) {
    resumed = load_checkpoint(a.resume);
    restore_settings(app, a, *resumed, a.resume);
    const std::string saved = resumed->settings.count("ranks") ? resumed->settings["ranks"] : "1";
    if (saved != std::to_string(ranks))
      throw InputError(cat("checkpoint ", a.resume, " was written by a run of ", saved,
                           " rank(s); this run has ", ranks, " (the batches would differ)"));
  }
  if (a.augment != "none" && a.augment != "crop" && a.augment != "crop-flip")
    throw InputError(cat("--augment '", a.augment, "' is not one of none, crop, crop-flip"));
  if (a.loss != "cross-entropy" && a.loss != "mse")
    throw InputError(cat("--loss '", a.loss, "' is not one of cross-entropy, mse"));
  // Checked here on every rank alike: only Stanza's FC ranks build a trainer with the loss.
  if (a.label_smoothing > 0 && a.loss != "cross-entropy")
    throw InputError("label smoothing applies to the cross-entropy loss only");
  const std::string checkpoint =
      a.checkpoint.empty() ? derived_path(a.output, ".ckpt.onnx") : a.checkpoint;
  const std::string log = a.log.empty() ? derived_path(a.output, ".train.csv") : a.log;
  const std::string plot = derived_path(log, ".png");

  Dataset train = load_dataset(a.data, true);
  Dataset test = load_dataset(a.data, false);
  limit_dataset(train, a.train_limit);
  limit_dataset(test, a.test_limit);
  const Graph model = resumed ? resumed->model : load_model_arg(a.model, train, a.seed);
  std::optional<ClassifierSplit> split;
  if (stanza) {
    split = split_at_classifier(model);
    stanza.emplace(ranks, fc_ranks, a.batch, split->classifier.types.at(split->cut).shape[1]);
  }

  DataLoaderOptions lo;
  lo.batch_size = a.batch;
  lo.seed = a.seed;
  lo.drop_last = true;
  if (a.augment != "none") {
    lo.crop_padding = 2;
    lo.pad_value =
        a.data.rfind("fashion-mnist", 0) == 0 ? -kFashionMnistMean / kFashionMnistStd : 0.0f;
  }
  lo.horizontal_flip = a.augment == "crop-flip";
  // Servers load the data too (the built-in models take their shape from it) but train on none.
  lo.shard = trains_no_data ? 0 : rank;
  lo.shards = workers;
  DataLoader loader(train, lo);
  // fit() checks this too, but Stanza's FC ranks run no fit() and would wait for the workers.
  if (loader.batches_per_epoch() < 1)
    throw InputError(cat(train.name, " has fewer samples than one batch of ", a.batch,
                         " for each of ", workers, " rank(s)"));

  TrainerOptions to;
  to.batch_size = a.batch;
  to.threads = a.threads;
  to.seed = a.seed;
  to.optimizer = a.optimizer;
  to.lr = a.lr;
  to.momentum = a.momentum;
  to.weight_decay = a.weight_decay;
  to.schedule = a.schedule;
  to.warmup_steps = a.warmup_steps;
  to.total_steps = a.epochs * loader.batches_per_epoch();
  to.loss = a.loss == "mse" ? Loss::kMeanSquaredError : Loss::kCrossEntropy;
  to.label_smoothing = a.label_smoothing;
  to.clip_norm = a.clip_norm;
  to.profile = a.profile;
  // A compressor made before the trainer: a bad spec fails first, and DGC takes over the
  // momentum and the clipping, which the optimizer then leaves alone.
  std::unique_ptr<Compressor> compressor;
  if (!a.compress.empty()) {
    compressor = make_compressor(a.compress, a.seed, {a.momentum, a.clip_norm});
    if (takes_over_momentum(a.compress)) to.momentum = to.clip_norm = 0;
  }
  if (comm && !a.link.empty())
    comm->emulate_links(parse_link(a.link), parse_slowdown(a.slow, rank, ranks), a.threads == 1);
  DataParallelOptions po;
  po.reduction = parse_reduction(a.reduction);  // after a resume restored it
  po.overlap = !a.no_overlap;
  po.bucket_bytes = static_cast<int64_t>(a.bucket_mb * 1024 * 1024);
  po.compressor = compressor.get();
  // Stanza's workers and FC ranks each average their part's gradients among themselves.
  std::unique_ptr<Communicator> group;
  if (stanza)
    group = comm->subgroup(stanza->is_fc(rank) ? stanza->fc_rank_list() : stanza->worker_ranks());
  if (stanza && stanza->is_fc(rank)) {
    TrainerOptions fc = to;
    fc.batch_size = a.batch * stanza->workers_per_fc();
    fc.input_gradient = true;
    Trainer trainer(split->classifier, fc);
    DataParallel parallel(*group, trainer, po);
    serve_classifier(*comm, trainer, *stanza);
    return 0;
  }
  if (stanza) {
    to.loss = Loss::kOutputGradient;
    to.label_smoothing = 0;  // the FC ranks' loss
  }
  Trainer trainer(stanza ? split->features : model, to);
  if (resumed) trainer.load_optimizer_state(resumed->optimizer);
  if (resumed && compressor) load_compressor_state(*compressor, resumed->run_state, rank);
  std::optional<DataParallel> parallel;
  std::optional<ParameterServerWorker> ps_worker;
  std::optional<StanzaWorker> stanza_worker;
  if (ps && ps->is_server(rank)) {
    serve_parameters(*comm, trainer, servers);
    return 0;
  }
  if (ps) {
    ps_worker.emplace(*comm, trainer, servers);
  } else if (stanza) {
    parallel.emplace(*group, trainer, po);
    stanza_worker.emplace(*comm, trainer, *stanza, model, *split);
  } else if (comm) {
    parallel.emplace(*comm, trainer, po);
  }

  FitOptions fo;
  fo.epochs = a.epochs;
  fo.max_steps = a.max_steps;
  fo.test = rank == 0 ? &test : nullptr;
  fo.checkpoint_path = rank == 0 ? checkpoint : "";
  if (stanza_worker) fo.model = [&] { return stanza_worker->model(); };
  for (const std::string& key : kRunSettings) fo.settings[key] = setting_value(a, key);
  for (const std::string& key : kReductionSettings) fo.settings[key] = setting_value(a, key);
  fo.settings["ranks"] = std::to_string(ranks);
  fo.settings["dist"] = a.dist;
  // Rows of completed epochs travel in the checkpoint, so a resumed run's CSV holds every epoch;
  // a stopped epoch's partial row is only in this run's own CSV.
  std::string rows = resumed ? resumed->settings["log"] : "", partial_row;
  if (resumed) fo.start = resumed->position;

  if (!a.quiet)
    std::fprintf(stderr,
                 "sinter: train: %s, %lld parameters, %lld training and %lld test images, "
                 "batch %lld, %lld steps per epoch, %d thread%s\n",
                 a.model.c_str(), static_cast<long long>(count_parameters(model)),
                 static_cast<long long>(train.size()), static_cast<long long>(test.size()),
                 static_cast<long long>(a.batch),
                 static_cast<long long>(loader.batches_per_epoch()), a.threads,
                 a.threads == 1 ? "" : "s");
  if (!a.quiet && comm && comm->emulator())
    std::fprintf(stderr, "sinter: train: emulated links %s: %.0f us, %.1f MB/s%s\n", a.link.c_str(),
                 comm->emulator()->link().latency_s * 1e6,
                 comm->emulator()->link().bytes_per_s / 1e6,
                 a.slow.empty() ? "" : (", slow ranks " + a.slow).c_str());
  // Bytes a step: what a worker sends, and what the busiest link carries each way.
  int64_t bytes_per_step = 0, busiest_link = 0;
  if (parallel) bytes_per_step = busiest_link = parallel->bytes_per_step();
  if (stanza_worker) {
    // A worker's link carries its message and the convolutions' all-reduce; an FC rank's, its
    // workers' messages and (approximately, up to the ring's rounding) the classifier's all-reduce.
    bytes_per_step += stanza->worker_bytes_per_step();
    int64_t classifier = 0;
    for (const auto& [name, t] : split->classifier.initializers)
      if (t.dtype() == DType::kFloat32) classifier += t.numel() * int64_t{sizeof(float)};
    busiest_link = std::max(bytes_per_step, stanza->fc_link_bytes_per_step() +
                                                2 * (fc_ranks - 1) * classifier / fc_ranks);
  }
  if (ps_worker) {
    const ParameterServerLayout& l = ps_worker->layout();
    bytes_per_step = l.worker_bytes_per_step();
    for (int server = 0; server < l.servers; ++server)
      busiest_link = std::max(busiest_link, l.server_bytes_per_step(server));
  }
  if (!a.quiet && stanza_worker)
    std::fprintf(
        stderr,
        "sinter: train: Stanza: %d conv workers (batch %lld each, %lld a step) and %d "
        "fully connected rank(s), cut at '%s' (%lld features): %.2f MB sent a step by "
        "each worker, %.2f MB into the busiest FC rank\n",
        workers, static_cast<long long>(a.batch), static_cast<long long>(a.batch * workers),
        fc_ranks, split->cut.c_str(), static_cast<long long>(stanza->features),
        static_cast<double>(bytes_per_step) / 1e6, static_cast<double>(busiest_link) / 1e6);
  if (!a.quiet && parallel && !stanza_worker)
    std::fprintf(
        stderr,
        "sinter: train: data parallel over %d ranks (batch %lld each, %lld a step), "
        "gradients averaged by %s: %.2f MB sent a step by each rank%s\n",
        ranks, static_cast<long long>(a.batch), static_cast<long long>(a.batch * ranks),
        compressor ? ("compressed " + a.compress).c_str() : (a.reduction + " all-reduce").c_str(),
        static_cast<double>(bytes_per_step) / 1e6, compressor ? " uncompressed" : "");
  if (!a.quiet && ps_worker)
    std::fprintf(stderr,
                 "sinter: train: %d workers (batch %lld each, %lld a step) and %d parameter "
                 "server(s): %.2f MB pushed a step by each worker, %.2f MB into the busiest "
                 "server\n",
                 workers, static_cast<long long>(a.batch),
                 static_cast<long long>(a.batch * workers), servers,
                 static_cast<double>(bytes_per_step) / 1e6,
                 static_cast<double>(busiest_link) / 1e6);
  // Bytes a worker sent a step so far (compressed runs vary from step to step).
  auto sent_per_step = [&] {
    if (stanza_worker) return parallel->bytes_per_step() + stanza->worker_bytes_per_step();
    return parallel ? parallel->bytes_per_step() : bytes_per_step;
  };
  // The run's emulated time so far, on the training thread's clock (0 without --link).
  auto emulated_seconds = [&] { return comm && comm->emulator() ? comm->emulator()->now() : 0.0; };
  ProgressBar bar("train", a.quiet || a.json);
  FitCallbacks callbacks;
  // Each step's emulated seconds: their median is a step's time, robust to the moments a shared
  // machine steals (which show as CPU time), and free of the first step's plan compilation.
  std::vector<double> emulated_steps;
  double emulated_before = 0;
  callbacks.on_batch = [&](BatchProgress p) {
    p.images_per_s *= workers;  // every worker's images
    bar.update(p);
    const double now = emulated_seconds();
    emulated_steps.push_back(now - emulated_before);
    emulated_before = now;
  };
  // Every rank's compressor state, gathered on rank 0 before each checkpoint.
  NamedTensors compressor_states;
  callbacks.on_epoch = [&](const EpochSummary& e) {
    if (compressor) compressor_states = gather_compressor_states(*comm, *compressor);
    bar.clear();
    DistributedColumns d;
    d.ranks = workers;
    d.bytes_sent_per_step = sent_per_step();
    d.emulated_seconds = emulated_seconds();
    if (e.complete)
      rows += training_log_row(e, d) + "\n";
    else
      partial_row = training_log_row(e, d) + "\n";
    if (a.json || rank != 0) return;
    // Under --dist: loss and accuracy of rank 0's batches, images of all ranks.
    std::printf(
        "epoch %3lld/%lld  loss %.4f  train %.2f%%  test %.2f%% (loss %.4f)  "
        "%.0f img/s  %.1f s  lr %.4g%s\n",
        static_cast<long long>(e.epoch + 1), static_cast<long long>(a.epochs), e.train_loss,
        100 * e.train_accuracy, 100 * e.test_accuracy, e.test_loss, e.images_per_s * workers,
        e.seconds, e.lr,
        !comm ? ""
              : (format("  %.3f MB sent a step", sent_per_step() / 1e6) +
                 (comm->emulator() ? format("  emulated %.1f s", d.emulated_seconds) : ""))
                    .c_str());
    std::fflush(stdout);
  };
  callbacks.on_checkpoint = [&](Checkpoint& c) {
    c.settings["log"] = rows;
    c.run_state = compressor_states;
  };
  const FitResult result = fit(trainer, loader, fo, callbacks);
  if (ps_worker) ps_worker->finish();
  const Graph trained = rank != 0       ? Graph()
                        : stanza_worker ? stanza_worker->model()
                                        : trainer.model();
  if (stanza_worker) stanza_worker->finish();
  bar.clear();
  if (rank != 0) return 0;

  save_onnx(trained, a.output);
  const bool plotted = write_training_log(rows + partial_row, log, plot,
                                          "sinter train " + a.model + " on " + a.data);
  const EpochSummary* last = result.epochs.empty() ? nullptr : &result.epochs.back();
  // Without the first step, which compiles the plan, as benchmarks count.
  const double images_per_s = result.steady_images_per_s;
  if (a.profile)
    print_profile(make_profile_report(trainer.session().plan()), fp32_peak_gflops(a.threads));
  if (a.json) {
    Json j{{"model", a.model},
           {"output", a.output},
           {"checkpoint", checkpoint},
           {"epochs", result.end.epoch},
           {"steps", trainer.steps()},
           {"stopped_early", result.stopped_early},
           {"batch", a.batch},
           {"threads", a.threads},
           {"ranks", ranks},
           {"bytes_per_step", sent_per_step()},
           {"busiest_link_bytes_per_step", busiest_link},
           {"emulated_seconds", emulated_seconds()},
           {"emulation_wall_seconds",
            comm && comm->emulator() ? comm->emulator()->wall_seconds() : 0.0},
           {"emulated_step_ms", 1e3 * median_after_first(emulated_steps)},
           {"train_loss", last ? last->train_loss : 0.0},
           {"train_accuracy", last ? last->train_accuracy : 0.0},
           {"test_loss", last ? last->test_loss : 0.0},
           {"test_accuracy", last ? last->test_accuracy : 0.0},
           {"images_per_s", images_per_s},
           {"train_seconds", result.train_seconds},
           {"log", log}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("saved %s (test accuracy %.2f%%), checkpoint %s, log %s%s\n", a.output.c_str(),
              last ? 100 * last->test_accuracy : 0.0, checkpoint.c_str(), log.c_str(),
              plotted ? (" and " + plot).c_str() : " (no plot: gnuplot is missing or failed)");
  return 0;
}

}  // namespace

Subcommand add_train_command(CLI::App& parent) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* app = parent.add_subcommand(
      "train", "Train a built-in model (" + [] {
        std::string s;
        for (const auto& n : zoo_model_names()) s += (s.empty() ? "" : ", ") + n;
        return s;
      }() + ") or an ONNX model on a dataset; export it as ONNX");
  app->add_option("--model", a->model, "A built-in model name, or an ONNX file to fine-tune")
      ->capture_default_str();
  app->add_option("--data", a->data, kDatasetSpecHelp)->capture_default_str();
  app->add_option("--epochs", a->epochs, "Passes over the training set")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  app->add_option("--batch", a->batch, "Samples per step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads (the caller counts as one)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--seed", a->seed, "Seeds data order, augmentation, dropout and weights")
      ->capture_default_str();
  app->add_option("--optimizer", a->optimizer, "sgd, nesterov, adam or adamw")
      ->capture_default_str();
  app->add_option("--lr", a->lr, "Peak learning rate")->capture_default_str();
  app->add_option("--momentum", a->momentum, "SGD momentum")->capture_default_str();
  app->add_option("--weight-decay", a->weight_decay, "L2 weight decay (decoupled for adamw)")
      ->capture_default_str();
  app->add_option("--schedule", a->schedule,
                  "Learning-rate schedule: constant, step:EVERY_STEPS:GAMMA, cosine[:MIN_LR], "
                  "onecycle")
      ->capture_default_str();
  app->add_option("--warmup-steps", a->warmup_steps, "Linear warm-up steps before the schedule")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--loss", a->loss, "cross-entropy or mse (against one-hot targets)")
      ->capture_default_str();
  app->add_option("--label-smoothing", a->label_smoothing, "Cross-entropy label smoothing")
      ->capture_default_str();
  app->add_option("--clip-norm", a->clip_norm, "Clip the global gradient norm (0: off)")
      ->capture_default_str();
  app->add_option("--augment", a->augment,
                  "none, crop (random 2-pixel shifts) or crop-flip (and left-right mirroring)")
      ->capture_default_str();
  app->add_option("--train-limit", a->train_limit, "Use only the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--test-limit", a->test_limit, "Use only the first N test images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--max-steps", a->max_steps,
                  "Stop after this many steps in all (0: no limit), e.g. for timing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("-o,--output", a->output, "The trained model (ONNX)")->capture_default_str();
  app->add_option("--checkpoint", a->checkpoint,
                  "Checkpoint written after every epoch (default: OUTPUT's name + .ckpt.onnx)");
  app->add_option("--resume", a->resume, "Continue the run that wrote this checkpoint")
      ->check(CLI::ExistingFile);
  app->add_option("--log", a->log,
                  "Per-epoch CSV (default: OUTPUT's name + .train.csv; a PNG "
                  "of the curves goes beside it)");
  app->add_flag("--json", a->json,
                "Print one JSON line at the end (test_accuracy, images_per_s, ...) instead of "
                "text and progress");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  app->add_flag("--profile", a->profile, "Time every node of the training step; print tables");
  app->add_option("--dist", a->dist,
                  "none; allreduce: data parallel over the MPI ranks (run under mpirun; --batch is "
                  "each rank's); ps:S: the last S ranks are parameter servers; stanza:F: the last "
                  "F ranks train the fully connected layers, the others the convolutions")
      ->capture_default_str();
  app->add_option("--reduction", a->reduction,
                  "How --dist allreduce sums gradients: ring (sinter's), mpi (MPI_Iallreduce), "
                  "rank-order (deterministic: as one process accumulating the ranks' batches)")
      ->capture_default_str();
  app->add_option("--compress", a->compress,
                  "With --dist allreduce: compress the gradients, with error feedback: topk:R, "
                  "randomk:R, dgc:R, sidco:R (R the share sent), powersgd:RANK, qsgd:LEVELS, "
                  "sign, accordion:topk|powersgd");
  app->add_option("--link", a->link,
                  "Emulate links between the ranks: 1gbe, 10gbe or LATENCY_US:GBIT_PER_S; the "
                  "emulated time is reported beside the wall time");
  app->add_option("--slow", a->slow,
                  "With --link: ranks that compute slower, RANK=FACTOR[,...] (e.g. 2=3.0)");
  app->add_flag("--no-overlap", a->no_overlap,
                "Reduce the gradients after the backward pass, not bucket by bucket during it");
  app->add_option("--bucket-mb", a->bucket_mb, "Gradient MiB a bucket holds at least")
      ->check(CLI::Range(1e-6, 1e6))
      ->capture_default_str();
  app->add_option("--timeout", a->timeout,
                  "Seconds any rank waits for another before the run ends with an error")
      ->capture_default_str();
  return {app, [app, a] { return run_train(*app, *a); }};
}

}  // namespace sinter::cli
