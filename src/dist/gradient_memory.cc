#include "dist/gradient_memory.h"

namespace sinter {

void GradientMemory::bind(const std::vector<GradientView>& gradients) {
  if (names_.empty() && values_.empty()) {
    for (const GradientView& g : gradients) {
      names_.push_back(g.name);
      values_.emplace_back(static_cast<size_t>(g.size), 0.0f);
    }
    return;
  }
  if (names_.size() != gradients.size())
    throw InputError(cat("compressor ", kind_, " holds ", names_.size(), " tensors; the model has ",
                         gradients.size(), " gradients"));
  for (size_t t = 0; t < gradients.size(); ++t) {
    if (names_[t] != gradients[t].name ||
        static_cast<int64_t>(values_[t].size()) != gradients[t].size)
      throw InputError(cat("compressor ", kind_, " tensor ", t, " is '", names_[t], "' of ",
                           values_[t].size(), " values; the gradient is '", gradients[t].name,
                           "' of ", gradients[t].size));
  }
}

float* GradientMemory::accumulate(size_t t, const GradientView& gradient) {
  float* r = values_[t].data();
  for (int64_t i = 0; i < gradient.size; ++i) r[i] += gradient.data[i];
  return r;
}

void GradientMemory::append_state(NamedTensors& state) const {
  for (size_t t = 0; t < names_.size(); ++t)
    state.emplace_back(
        cat(kind_, "/", names_[t]),
        Tensor::from_vector<float>({static_cast<int64_t>(values_[t].size())}, values_[t]));
}

void GradientMemory::load_state(const NamedTensors& state) {
  names_.clear();
  values_.clear();
  const std::string prefix = kind_ + "/";
  for (const auto& [name, tensor] : state) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (tensor.dtype() != DType::kFloat32)
      throw InputError(
          cat("compressor state '", name, "' holds ", dtype_name(tensor.dtype()), ", not float32"));
    const float* v = tensor.data<float>();
    names_.push_back(name.substr(prefix.size()));
    values_.emplace_back(v, v + tensor.numel());
  }
}

}  // namespace sinter
