#include "train/checkpoint.h"

#include <algorithm>

#include "core/error.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"

namespace sinter {

namespace {

constexpr const char* kMarker = "sinter.checkpoint";
constexpr const char* kOptimizerPrefix = "sinter.optimizer/";
constexpr const char* kStatePrefix = "sinter.state/";
constexpr const char* kSettingPrefix = "sinter.setting.";
constexpr const char* kEpoch = "sinter.position.epoch";
constexpr const char* kBatch = "sinter.position.batch";

int64_t parse_count(const std::string& path, const std::map<std::string, std::string>& meta,
                    const char* key) {
  auto it = meta.find(key);
  if (it == meta.end()) throw InputError(cat(path, ": checkpoint metadata lacks '", key, "'"));
  size_t used = 0;
  int64_t v = -1;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
  }
  if (v < 0 || used != it->second.size())
    throw InputError(
        cat(path, ": checkpoint metadata '", key, "' is not a count: '", it->second, "'"));
  return v;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  Graph g = c.model;
  for (const auto* entries : {&c.optimizer, &c.run_state})
    for (const auto& [name, t] : *entries) {
      const std::string key = (entries == &c.optimizer ? kOptimizerPrefix : kStatePrefix) + name;
      g.types[key] = {t.dtype(), t.shape(), true};
      g.initializers[key] = t;
    }
  g.metadata.insert_or_assign(kMarker, std::string("1"));
  g.metadata[kEpoch] = std::to_string(c.position.epoch);
  g.metadata[kBatch] = std::to_string(c.position.batch);
  for (const auto& [key, value] : c.settings) g.metadata[kSettingPrefix + key] = value;
  save_onnx(g, path);
}

Checkpoint load_checkpoint(const std::string& path) {
  return checkpoint_from_graph(load_onnx(path), path);
}

Checkpoint checkpoint_from_graph(Graph model, const std::string& path) {
  Checkpoint c;
  c.model = std::move(model);
  Graph& g = c.model;
  if (!g.metadata.count(kMarker))
    throw InputError(cat(path, " is an ONNX model but not a sinter training checkpoint"));
  c.position.epoch = parse_count(path, g.metadata, kEpoch);
  c.position.batch = parse_count(path, g.metadata, kBatch);
  for (auto it = g.metadata.begin(); it != g.metadata.end();) {
    if (starts_with(it->first, kSettingPrefix))
      c.settings[it->first.substr(std::string(kSettingPrefix).size())] = it->second;
    const bool ours = starts_with(it->first, kSettingPrefix) || it->first == kEpoch ||
                      it->first == kBatch || it->first == kMarker;
    it = ours ? g.metadata.erase(it) : std::next(it);
  }
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    const bool optimizer = starts_with(it->first, kOptimizerPrefix);
    if (!optimizer && !starts_with(it->first, kStatePrefix)) {
      ++it;
      continue;
    }
    const size_t prefix = std::string(optimizer ? kOptimizerPrefix : kStatePrefix).size();
    (optimizer ? c.optimizer : c.run_state).emplace_back(it->first.substr(prefix), it->second);
    g.types.erase(it->first);
    it = g.initializers.erase(it);
  }
  // Entries are restored by name; a fixed order keeps loading deterministic.
  for (auto* entries : {&c.optimizer, &c.run_state})
    std::sort(entries->begin(), entries->end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  return c;
}

}  // namespace sinter
