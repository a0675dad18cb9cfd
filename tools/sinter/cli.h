#pragma once
// What the subcommands of the `sinter` tool share: their registration with main, text tables,
// number formatting.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/bound_inputs.h"
#include "runtime/profile_report.h"

namespace sinter::cli {

// A subcommand: its CLI11 app (to know whether it was chosen) and the action main runs. Actions
// throw sinter::Error on failure and return the exit code otherwise.
struct Subcommand {
  CLI::App* app;
  std::function<int()> run;
};

Subcommand add_info_command(CLI::App& parent);
Subcommand add_run_command(CLI::App& parent);
Subcommand add_bench_command(CLI::App& parent);
Subcommand add_train_command(CLI::App& parent);
Subcommand add_eval_command(CLI::App& parent);
Subcommand add_prune_command(CLI::App& parent);
Subcommand add_quantize_command(CLI::App& parent);
Subcommand add_compress_report_command(CLI::App& parent);
Subcommand add_compile_command(CLI::App& parent);
Subcommand add_tune_command(CLI::App& parent);

// --schedule for `run` and `bench`: the inter-operator schedule of an ONNX model's session.
inline void add_schedule_option(CLI::App& app, std::string& schedule) {
  app.add_option("--schedule", schedule,
                 "Inter-operator schedule: sequential, ios (dynamic programming over stages: "
                 "branches side by side on thread groups, sibling convs merged) or greedy (every "
                 "ready node side by side), from node times measured first")
      ->check(CLI::IsMember({"sequential", "ios", "greedy"}))
      ->capture_default_str();
}

// The fp32 peak of `threads` cores at the active ISA tier: one core measured (about 0.1 s),
// times the threads. What profiles report each layer's share of.
double fp32_peak_gflops(int threads);

// Prints per-op-type and per-node tables of a profile (`bench --profile`, `train --profile`),
// with each row's share of `peak_gflops` (fp32_peak_gflops for the threads that ran).
void print_profile(const ProfileReport& report, double peak_gflops);

// Columns padded to their widest cell; columns listed in `right` are right-aligned (numbers).
inline std::string format_table(const std::vector<std::string>& header,
                                const std::vector<std::vector<std::string>>& rows,
                                const std::vector<size_t>& right = {}) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = "  ";
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      bool r = std::find(right.begin(), right.end(), c) != right.end();
      s += (c ? "  " : "") + (r ? pad + cell : cell + (c + 1 < width.size() ? pad : ""));
    }
    return s + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

inline std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// 1536 -> "1.50 KiB"
inline std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? format("%.0f B", b) : format("%.2f ", b) + units[u];
}

// 1.8e9 -> "1.80G"
inline std::string human_count(double v) {
  const char* units[] = {"", "k", "M", "G", "T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? format("%.0f", v) : format("%.2f", v) + units[u];
}

// 1.8e9 -> "1.80 GFLOP"
inline std::string human_flops(double v) {
  const char* units[] = {"", "k", "M", "G", "T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return format(u == 0 ? "%.0f " : "%.2f ", v) + units[u] + "FLOP";
}

// Shortest readable form of a value: integers without decimals, others with 6 digits.
inline std::string format_value(double v) { return format("%.6g", v); }

// Counts of each op type, most frequent first (ties by name).
inline std::vector<std::pair<std::string, int>> op_histogram(const Graph& g) {
  std::unordered_map<std::string, int> count;
  for (const auto& n : g.nodes) count[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type]++;
  std::vector<std::pair<std::string, int>> h(count.begin(), count.end());
  std::sort(h.begin(), h.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return h;
}

}  // namespace sinter::cli
