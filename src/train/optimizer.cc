#include "train/optimizer.h"

#include <map>
#include <set>

#include "core/error.h"

namespace sinter {

namespace {
constexpr const char* kStepsEntry = "steps";
}  // namespace

Optimizer::Optimizer(std::vector<Parameter> params) : params_(std::move(params)) {
  std::set<std::string> names;
  for (const Parameter& p : params_) {
    if (p.value == nullptr || p.grad == nullptr)
      throw InputError(cat("parameter '", p.name, "': value or gradient is missing"));
    if (p.value->dtype() != DType::kFloat32 || p.grad->dtype() != DType::kFloat32)
      throw InputError(cat("parameter '", p.name, "': optimizers need float32 value and gradient"));
    if (p.value->shape() != p.grad->shape())
      throw InputError(cat("parameter '", p.name, "': value shape ", shape_str(p.value->shape()),
                           " differs from gradient shape ", shape_str(p.grad->shape())));
    if (!names.insert(p.name).second)
      throw InputError(cat("parameter name '", p.name, "' appears twice"));
  }
  slots_.resize(params_.size());
  allocated_.assign(params_.size(), false);
}

Optimizer::~Optimizer() = default;

Tensor& Optimizer::slot(size_t p, size_t s) {
  if (!allocated_[p]) {
    const size_t n = slot_names().size();
    slots_[p].clear();
    for (size_t i = 0; i < n; ++i)
      slots_[p].emplace_back(DType::kFloat32, params_[p].value->shape());
    allocated_[p] = true;
  }
  return slots_[p][s];
}

OptimizerState Optimizer::state() const {
  OptimizerState out;
  out.emplace_back(kStepsEntry, Tensor::scalar<int64_t>(steps_));
  const std::vector<std::string> names = slot_names();
  for (size_t p = 0; p < params_.size(); ++p) {
    if (!allocated_[p]) continue;
    for (size_t s = 0; s < names.size(); ++s)
      out.emplace_back(params_[p].name + "." + names[s], slots_[p][s].clone());
  }
  return out;
}

void Optimizer::load_state(const OptimizerState& state) {
  // Index every expected entry name, then check each given entry against it before touching
  // anything, so a bad checkpoint leaves the optimizer as it was.
  const std::vector<std::string> names = slot_names();
  std::map<std::string, std::pair<size_t, size_t>> expected;  // name -> (param, slot)
  for (size_t p = 0; p < params_.size(); ++p)
    for (size_t s = 0; s < names.size(); ++s) expected[params_[p].name + "." + names[s]] = {p, s};

  std::set<std::string> seen;
  const Tensor* steps = nullptr;
  std::vector<std::vector<const Tensor*>> given(params_.size(),
                                                std::vector<const Tensor*>(names.size(), nullptr));
  for (const auto& [name, t] : state) {
    if (!seen.insert(name).second)
      throw InputError(cat("optimizer state entry '", name, "' appears twice"));
    if (name == kStepsEntry) {
      if (t.dtype() != DType::kInt64 || t.numel() != 1)
        throw InputError(cat("optimizer state entry '", name, "' must be one int64, got ",
                             dtype_name(t.dtype()), " ", shape_str(t.shape())));
      if (t.data<int64_t>()[0] < 0)
        throw InputError(cat("optimizer state entry '", name, "' is negative"));
      steps = &t;
      continue;
    }
    auto it = expected.find(name);
    if (it == expected.end()) throw InputError(cat("unknown optimizer state entry '", name, "'"));
    const auto [p, s] = it->second;
    const Shape& want = params_[p].value->shape();
    if (t.dtype() != DType::kFloat32 || t.shape() != want)
      throw InputError(cat("optimizer state entry '", name, "' is ", dtype_name(t.dtype()), " ",
                           shape_str(t.shape()), ", expected float32 ", shape_str(want)));
    given[p][s] = &t;
  }
  if (steps == nullptr)
    throw InputError(cat("optimizer state lacks the '", kStepsEntry, "' entry"));
  // Slots are all-or-none per parameter, and every parameter has them once a step has run.
  const int64_t n_steps = steps->data<int64_t>()[0];
  for (size_t p = 0; p < params_.size(); ++p) {
    for (size_t s = 0; s < names.size(); ++s) {
      const bool want = n_steps > 0;
      if ((given[p][s] != nullptr) != want)
        throw InputError(cat("optimizer state entry '", params_[p].name, ".", names[s], "' is ",
                             want ? "missing" : "present before any step"));
    }
  }

  steps_ = n_steps;
  for (size_t p = 0; p < params_.size(); ++p) {
    slots_[p].clear();
    allocated_[p] = n_steps > 0 && !names.empty();
    if (!allocated_[p]) continue;
    for (size_t s = 0; s < names.size(); ++s) slots_[p].push_back(given[p][s]->clone());
  }
}

}  // namespace sinter
