#include "ir/node.h"

#include "core/error.h"

namespace sinter {

namespace {
template <class T>
const T* get_as(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw ModelError(cat(n.describe(), ": attribute '", key, "' has the wrong type"));
  return v;
}
}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const int64_t* v = get_as<int64_t>(*this, key);
  return v ? *v : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  auto it = attrs.find(key);
  if (it != attrs.end())
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  const float* v = get_as<float>(*this, key);
  return v ? *v : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const std::string* v = get_as<std::string>(*this, key);
  return v ? *v : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  const auto* v = get_as<std::vector<int64_t>>(*this, key);
  return v ? *v : fallback;
}

std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  const auto* v = get_as<std::vector<float>>(*this, key);
  return v ? *v : fallback;
}

const Tensor& Node::attr_tensor(const std::string& key) const {
  const Tensor* v = get_as<Tensor>(*this, key);
  if (!v) throw ModelError(cat(describe(), ": missing tensor attribute '", key, "'"));
  return *v;
}

int64_t Node::required_int(const std::string& key) const {
  const int64_t* v = get_as<int64_t>(*this, key);
  if (!v) throw ModelError(cat(describe(), ": missing required attribute '", key, "'"));
  return *v;
}

namespace {
void check_in_range(const Node& n, const std::string& what, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    throw ModelError(
        cat(n.describe(), ": attribute ", what, " = ", v, " is out of range [", lo, ", ", hi, "]"));
}
}  // namespace

int64_t Node::attr_int_in(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
  const int64_t v = attr_int(key, fallback);
  check_in_range(*this, cat("'", key, "'"), v, lo, hi);
  return v;
}

std::vector<int64_t> Node::attr_ints_in(const std::string& key, std::vector<int64_t> fallback,
                                        int64_t lo, int64_t hi) const {
  std::vector<int64_t> v = attr_ints(key, std::move(fallback));
  for (size_t i = 0; i < v.size(); ++i)
    check_in_range(*this, cat("'", key, "[", i, "]'"), v[i], lo, hi);
  return v;
}

std::string Node::describe() const {
  return cat(op_type, " node '", name.empty() ? (outputs.empty() ? "?" : outputs[0]) : name, "'");
}

}  // namespace sinter
