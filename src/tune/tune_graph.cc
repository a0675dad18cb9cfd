#include "tune/tune_graph.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "core/error.h"
#include "core/thread_pool.h"

namespace sinter {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A node as a plan would see it: the graph's types and its initializers as constants.
KernelInfo info_for(const Graph& g, const Node& node, int threads, bool sparse_kernels) {
  KernelInfo info{node, g.opset, {}, {}, {}, threads, sparse_kernels};
  for (const auto& in : node.inputs) {
    const ValueType* t = in.empty() ? nullptr : g.type_of(in);
    info.inputs.push_back(t ? *t : ValueType{});
    auto it = in.empty() ? g.initializers.end() : g.initializers.find(in);
    info.constants.push_back(it == g.initializers.end() ? nullptr : &it->second);
  }
  for (const auto& out : node.outputs) {
    const ValueType* t = out.empty() ? nullptr : g.type_of(out);
    info.outputs.push_back(t ? *t : ValueType{});
  }
  return info;
}

bool all_static(const std::vector<ValueType>& types) {
  for (const auto& t : types)
    if (t.has_shape && !shape_is_static(t.shape)) return false;
  return true;
}

// Inputs and outputs to run a kernel on: random floats, zero integers (they may index).
struct Operands {
  std::vector<Tensor> tensors;
  KernelContext ctx;
};

Operands operands_for(const KernelInfo& info, ThreadPool& pool) {
  Operands o;
  o.tensors.reserve(info.inputs.size() + info.outputs.size());
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    if (info.constant(i)) {
      o.ctx.inputs.push_back(info.constant(i));
      continue;
    }
    if (!info.node.has_input(i)) {
      o.ctx.inputs.push_back(nullptr);
      continue;
    }
    o.tensors.emplace_back(info.inputs[i].dtype, info.inputs[i].shape);
    Tensor& t = o.tensors.back();
    if (t.dtype() == DType::kFloat32)
      for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = value(rng);
    o.ctx.inputs.push_back(&t);
  }
  for (const auto& out : info.outputs) {
    o.tensors.emplace_back(out.dtype, out.shape);
    o.ctx.outputs.push_back(&o.tensors.back());
  }
  o.ctx.pool = &pool;
  return o;
}

struct Timing {
  double ms = -1;       // negative when the candidate cannot be built or run
  std::string settled;  // the variant the kernel settled on (Kernel::variant), if it says
};

// The kernel's time on the node's shapes, the fastest of a few runs (the machine is shared).
Timing time_candidate(const KernelImpl& impl, KernelInfo info, const std::string& variant,
                      ThreadPool& pool) {
  info.variant = variant;
  std::unique_ptr<Kernel> kernel;
  try {
    kernel = impl.create(info);
  } catch (const Error&) {
    return {};
  }
  Timing timing;
  if (const char* v = kernel->variant()) timing.settled = v;
  Operands o = operands_for(info, pool);
  double best = 1e30, total = 0;
  try {
    kernel->run(o.ctx);  // warm-up: caches, scratch buffers
    for (int run = 0; run < 10 && (run < 3 || total < 0.02); ++run) {
      const auto t0 = Clock::now();
      kernel->run(o.ctx);
      const double s = seconds_since(t0);
      best = std::min(best, s);
      total += s;
    }
  } catch (const Error&) {
    return {};  // a candidate that cannot run these inputs is no candidate
  }
  timing.ms = best * 1e3;
  return timing;
}

std::string kernel_label(const KernelChoice& c) {
  return c.variant.empty() ? c.impl : c.impl + "/" + c.variant;
}

struct Candidate {
  const KernelImpl* impl;
  std::string variant;
};

}  // namespace

TuneReport tune_graph(const Graph& g, TuningDb& db, const TuneOptions& options) {
  if (!(options.budget_seconds > 0))
    throw InputError(
        cat("the tuning budget must be positive (got ", options.budget_seconds, " s)"));
  TuneReport report;
  ThreadPool pool(options.threads);
  struct Work {
    const Node* node;
    const OpDef* def;
    std::vector<Candidate> candidates;
  };
  std::vector<Work> work;
  for (const Node& node : g.nodes) {
    const OpDef& def = op_for(node, g.opset);
    if (def.output_is_view_of_input0) continue;
    const KernelInfo info = info_for(g, node, options.threads, options.sparse_kernels);
    if (!all_static(info.inputs) || !all_static(info.outputs)) continue;
    Work w{&node, &def, {}};
    for (const KernelImpl& impl : def.impls) {
      if (!impl_supports(impl, info)) continue;
      w.candidates.push_back({&impl, ""});
      for (const auto& v : impl.variants) w.candidates.push_back({&impl, v});
    }
    if (w.candidates.size() < 2) continue;
    report.candidates_total += static_cast<int64_t>(w.candidates.size());
    work.push_back(std::move(w));
  }
  const auto t0 = Clock::now();
  for (const Work& w : work) {
    if (seconds_since(t0) >= options.budget_seconds) {
      report.budget_exhausted = true;
      break;
    }
    const KernelInfo info = info_for(g, *w.node, options.threads, options.sparse_kernels);
    const KernelImpl& heuristic = choose_kernel(*w.def, info);
    TunedLayer layer{w.node->name, w.node->op_type, heuristic.name, "", -1, -1, 0};
    KernelChoice best;
    // What an implementation's own choice ("" variant) settled on is not timed again by name.
    std::vector<std::pair<const KernelImpl*, std::string>> measured;
    for (const Candidate& c : w.candidates) {
      if (std::count(measured.begin(), measured.end(), std::pair{c.impl, c.variant})) {
        --report.candidates_total;
        continue;
      }
      // The heuristics' own kernel is always measured, so a node begun is a node finished.
      const bool heuristic_one = c.impl == &heuristic && c.variant.empty();
      if (!heuristic_one && seconds_since(t0) >= options.budget_seconds) {
        report.budget_exhausted = true;
        continue;
      }
      const Timing t = time_candidate(*c.impl, info, c.variant, pool);
      const double ms = t.ms;
      if (c.variant.empty() && !t.settled.empty()) measured.push_back({c.impl, t.settled});
      ++report.candidates_measured;
      if (options.progress)
        options.progress(
            {report.candidates_measured, report.candidates_total, seconds_since(t0), w.node->name});
      if (ms < 0) continue;
      ++layer.candidates;
      if (c.impl == &heuristic && c.variant.empty()) layer.default_ms = ms;
      if (layer.chosen_ms < 0 || ms < layer.chosen_ms) {
        layer.chosen_ms = ms;
        best = {c.impl->name, c.variant};
      }
    }
    if (layer.default_ms < 0 || layer.chosen_ms < 0) continue;
    // Noise is not a reason to leave the heuristics.
    if (layer.chosen_ms > 0.97 * layer.default_ms) {
      best = {heuristic.name, ""};
      layer.chosen_ms = layer.default_ms;
    }
    layer.chosen_kernel = kernel_label(best);
    db.put(tuning_key(info),
           {best, layer.chosen_ms, layer.default_kernel, layer.default_ms, w.node->name});
    report.layers.push_back(std::move(layer));
  }
  report.seconds = seconds_since(t0);
  return report;
}

}  // namespace sinter
