#include "tune/tuning_db.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/isa.h"
#include "core/quoted.h"
#include "core/version.h"
#include "kernels/sparse/csr_matrix.h"

namespace sinter {

namespace {

using Json = nlohmann::ordered_json;
constexpr int kFormat = 1;

// An attribute's value in the key: exact for numbers, strings and lists; a tensor by its type
// and a hash of its bytes.
std::string attribute_text(const Attribute& a) {
  std::ostringstream out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Tensor>) {
          out << dtype_name(v.dtype()) << shape_str(v.shape()) << "#" << std::hex
              << XXH3_64bits(v.raw(), v.nbytes());
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                             std::is_same_v<T, std::vector<float>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          out << "[";
          for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
          out << "]";
        } else {
          out << v;
        }
      },
      a);
  return out.str();
}

// Whether `w` is [M, C, 3, 3] with at most 4 nonzeros in every 3x3 kernel (pattern-pruned).
bool at_most_four_taps(const Tensor& w) {
  if (w.rank() != 4 || w.dim(2) != 3 || w.dim(3) != 3) return false;
  const float* v = w.data<float>();
  for (int64_t k = 0; k < w.numel() / 9; ++k) {
    int taps = 0;
    for (int t = 0; t < 9; ++t) taps += v[k * 9 + t] != 0.0f;
    if (taps > 4) return false;
  }
  return true;
}

std::string fail_text(const std::string& path, const std::string& why) {
  return cat(path, ": not a sinter tuning database (", why, ")");
}

}  // namespace

std::string tuning_key(const KernelInfo& info) {
  std::ostringstream key;
  key << (info.node.domain.empty() ? "" : info.node.domain + ".") << info.node.op_type;
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    const ValueType& t = info.inputs[i];
    key << (i ? ";" : " in:") << dtype_name(t.dtype) << shape_str(t.shape);
    // Constant float inputs by their share of nonzeros and, for 3x3 weights, whether every
    // kernel keeps at most 4 taps: what decides which sparse kernels can run.
    if (const Tensor* c = info.constant(i)) {
      key << "=const";
      if (c->dtype() == DType::kFloat32 && c->numel() > 0) {
        char nnz[32];
        std::snprintf(nnz, sizeof nnz, "@%.2f", nonzero_fraction(c->data<float>(), c->numel()));
        key << nnz << (at_most_four_taps(*c) ? "/4taps" : "");
      }
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : info.node.attrs) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const auto& name : names)
    key << " " << name << "=" << attribute_text(info.node.attrs.at(name));
  key << " | " << isa_name(active_isa()) << (has_vnni(active_isa()) ? "+vnni" : "") << " threads "
      << info.threads << (info.sparse_kernels ? "" : " dense-only") << " sinter "
      << sinter_version();
  return key.str();
}

TuningDb TuningDb::load(const std::string& path) {
  TuningDb db;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return db;
    throw InputError(cat(path, ": cannot read the tuning database"));
  }
  Json j;
  try {
    j = Json::parse(in);
  } catch (const Json::exception& e) {
    throw InputError(fail_text(path, e.what()));
  }
  try {
    if (!j.is_object() || j.at("format").get<int>() != kFormat)
      throw InputError(fail_text(path, cat("format ", j.is_object() ? j.at("format").dump() : "?",
                                           ", this sinter reads ", kFormat)));
    for (const Json& e : j.at("entries")) {
      TunedKernel t;
      t.choice.impl = e.at("impl").get<std::string>();
      t.choice.variant = e.at("variant").get<std::string>();
      t.ms = e.at("ms").get<double>();
      t.default_kernel = e.at("default_kernel").get<std::string>();
      t.default_ms = e.at("default_ms").get<double>();
      t.node = e.at("node").get<std::string>();
      const std::string key = e.at("key").get<std::string>();
      if (t.choice.impl.empty() || key.empty())
        throw InputError(fail_text(path, "an entry without a kernel or key"));
      db.entries_[key] = std::move(t);
    }
  } catch (const Json::exception& e) {
    throw InputError(fail_text(path, e.what()));
  }
  return db;
}

void TuningDb::save(const std::string& path) const {
  Json entries = Json::array();
  for (const auto& [key, t] : entries_)
    entries.push_back({{"key", key},
                       {"impl", t.choice.impl},
                       {"variant", t.choice.variant},
                       {"ms", t.ms},
                       {"default_kernel", t.default_kernel},
                       {"default_ms", t.default_ms},
                       {"node", t.node}});
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  write_file_atomically(path, Json{{"format", kFormat}, {"entries", entries}}.dump(1) + "\n");
}

const TunedKernel* TuningDb::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void TuningDb::put(const std::string& key, TunedKernel entry) { entries_[key] = std::move(entry); }

std::string default_tuning_db_path() {
  if (const char* p = std::getenv("SINTER_TUNING_DB"); p && *p) return p;
  if (const char* p = std::getenv("XDG_CACHE_HOME"); p && *p)
    return (std::filesystem::path(p) / "sinter" / "tuning.json").string();
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home && *home ? home : ".") / ".cache" / "sinter" / "tuning.json")
      .string();
}

KernelChooser kernel_chooser(std::shared_ptr<const TuningDb> db, const std::string& path) {
  return [db, path](const KernelInfo& info) -> std::optional<KernelChoice> {
    if (db->size() == 0) return std::nullopt;
    const TunedKernel* t = db->find(tuning_key(info));
    if (!t) return std::nullopt;
    const OpDef& def = op_for(info.node, info.opset);
    const KernelImpl* impl = find_kernel(def, t->choice.impl);
    const bool variant_ok =
        t->choice.variant.empty() ||
        (impl && std::count(impl->variants.begin(), impl->variants.end(), t->choice.variant) > 0);
    KernelInfo with_variant = info;
    with_variant.variant = t->choice.variant;
    if (!impl || t->choice.impl == "reference" || !variant_ok ||
        !impl_supports(*impl, with_variant))
      throw InputError(cat(path, ": the entry for ", info.node.describe(), " names kernel '",
                           t->choice.impl, t->choice.variant.empty() ? "" : "/" + t->choice.variant,
                           "', which cannot run it; tune again or remove the entry"));
    return t->choice;
  };
}

}  // namespace sinter
