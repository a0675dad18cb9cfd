#include "runtime/profile_report.h"

#include <algorithm>
#include <map>

namespace sinter {

namespace {
double gflops_of(double flops, double ms) { return ms > 0 ? flops / (ms * 1e6) : 0.0; }
}  // namespace

ProfileReport make_profile_report(const Plan& plan) {
  ProfileReport r;
  std::map<std::string, size_t> op_index;
  for (const PlanStep& step : plan.steps()) {
    if (!step.kernel) continue;
    NodeProfile n;
    n.node = step.node_name;
    n.op_type = step.op_type;
    n.kernel = step.kernel_name;
    n.ms = step.profile.runs ? step.profile.total_ms / static_cast<double>(step.profile.runs) : 0;
    n.flops = step.flops;
    n.gflops = gflops_of(n.flops, n.ms);
    r.runs = std::max(r.runs, step.profile.runs);
    r.total_ms += n.ms;
    r.total_flops += n.flops;

    auto [it, fresh] = op_index.emplace(n.op_type, r.op_types.size());
    if (fresh) r.op_types.push_back({n.op_type, 0, 0.0, 0.0, 0.0, 0.0});
    OpTypeProfile& op = r.op_types[it->second];
    op.nodes++;
    op.ms += n.ms;
    op.flops += n.flops;
    r.nodes.push_back(std::move(n));
  }
  for (auto& n : r.nodes) n.share = r.total_ms > 0 ? n.ms / r.total_ms : 0.0;
  for (auto& op : r.op_types) {
    op.share = r.total_ms > 0 ? op.ms / r.total_ms : 0.0;
    op.gflops = gflops_of(op.flops, op.ms);
  }
  std::stable_sort(r.nodes.begin(), r.nodes.end(),
                   [](const NodeProfile& a, const NodeProfile& b) { return a.ms > b.ms; });
  std::stable_sort(r.op_types.begin(), r.op_types.end(),
                   [](const OpTypeProfile& a, const OpTypeProfile& b) { return a.ms > b.ms; });
  return r;
}

}  // namespace sinter
