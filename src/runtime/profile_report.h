#pragma once
// Per-node and per-op-type timings of a Plan, from the profile its steps collected while
// running with profiling on (SessionOptions::profile). Data only; the CLI formats it.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/plan.h"

namespace sinter {

struct NodeProfile {
  std::string node;
  std::string op_type;
  std::string kernel;
  double ms = 0.0;      // mean per run
  double share = 0.0;   // of the profiled total, 0..1
  double flops = 0.0;   // per run
  double gflops = 0.0;  // achieved GFLOP/s (0 when flops are not counted)
};

struct OpTypeProfile {
  std::string op_type;
  int nodes = 0;
  double ms = 0.0;
  double share = 0.0;
  double flops = 0.0;
  double gflops = 0.0;
};

struct ProfileReport {
  std::vector<NodeProfile> nodes;       // slowest first
  std::vector<OpTypeProfile> op_types;  // slowest first
  double total_ms = 0.0;                // sum of node means: kernel time, no executor overhead
  double total_flops = 0.0;
  int64_t runs = 0;  // profiled runs behind the means
};

// Views (steps without a kernel) take no time and are left out. Ties in time keep plan order,
// so the report is stable from run to run.
ProfileReport make_profile_report(const Plan& plan);

}  // namespace sinter
