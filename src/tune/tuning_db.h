#pragma once
// The tuning database: for a node as a plan sees it (op, attributes, input types, the sparsity of
// its constant inputs, ISA tier, threads, sinter version), the kernel and variant a tuner measured
// fastest. `sinter tune` and `sinter compile --tune` fill it; later compiles choose from it where
// it knows the node and fall back to the heuristics elsewhere. A JSON file, written atomically.
#include <map>
#include <memory>
#include <string>

#include "ops/op_registry.h"
#include "runtime/plan.h"

namespace sinter {

struct TunedKernel {
  KernelChoice choice;
  double ms = 0;               // the chosen kernel's time
  std::string default_kernel;  // what the heuristics choose, for the report
  double default_ms = 0;
  std::string node;  // the node it was measured on (for people reading the file)
};

class TuningDb {
 public:
  // An empty database when `path` does not exist. Throws InputError naming the file for one that
  // cannot be read or does not hold a tuning database (malformed JSON, a field of the wrong type,
  // an entry without a kernel).
  static TuningDb load(const std::string& path);
  // Writes the database atomically (the directory is made if missing).
  void save(const std::string& path) const;

  const TunedKernel* find(const std::string& key) const;
  void put(const std::string& key, TunedKernel entry);
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, TunedKernel> entries_;
};

// The key of the node `info` describes.
std::string tuning_key(const KernelInfo& info);

// $SINTER_TUNING_DB, else $XDG_CACHE_HOME/sinter/tuning.json, else ~/.cache/sinter/tuning.json.
std::string default_tuning_db_path();

// A chooser for SessionOptions::kernel_choice from `db` (kept alive by the chooser). An entry
// naming a kernel or variant the node cannot take is an InputError naming `path` and the node.
KernelChooser kernel_chooser(std::shared_ptr<const TuningDb> db, const std::string& path);

}  // namespace sinter
