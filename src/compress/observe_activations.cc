#include "compress/observe_activations.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "runtime/session.h"

namespace sinter {

namespace {
void check_images_fit(const Graph& model, const Tensor& images) {
  if (images.dtype() != DType::kFloat32 || images.rank() < 1 || images.dim(0) < 1)
    throw InputError(cat("calibration needs float32 images [N, ...] with N >= 1, got ",
                         dtype_name(images.dtype()), " ", shape_str(images.shape())));
  const ValueType* t = model.type_of(model.inputs[0]);
  if (!t || !t->has_shape) return;
  bool fits = t->shape.size() == images.shape().size();
  for (size_t d = 1; fits && d < t->shape.size(); ++d)
    fits = t->shape[d] < 0 || t->shape[d] == images.shape()[d];
  if (!fits)
    throw InputError(cat("calibration images ", shape_str(images.shape()),
                         " do not fit the model input '", model.inputs[0], "' ",
                         shape_str(t->shape)));
}
}  // namespace

std::map<std::string, RangeObserver> observe_activations(const Graph& model,
                                                         const std::vector<std::string>& values,
                                                         const Tensor& images, int64_t batch,
                                                         int threads) {
  if (model.inputs.size() != 1)
    throw InputError(
        cat("calibration needs a model with one input, this one has ", model.inputs.size()));
  check_images_fit(model, images);
  const std::string& input = model.inputs[0];
  std::unordered_set<std::string> known(model.inputs.begin(), model.inputs.end());
  for (const Node& n : model.nodes) known.insert(n.outputs.begin(), n.outputs.end());

  // The graph input is observed as fed; every other value becomes an output of its own.
  Graph probe = model;
  probe.outputs.clear();
  std::map<std::string, RangeObserver> observers;
  for (const std::string& v : values) {
    if (!known.count(v))
      throw InputError(cat("calibration: '", v, "' is not a value computed by the model"));
    if (observers.count(v)) continue;
    observers.emplace(v, RangeObserver());
    if (v != input) probe.outputs.push_back(v);
  }
  if (probe.outputs.empty()) probe.outputs = model.outputs;  // the Session needs some output

  Session session(std::move(probe), {threads, true, false});
  const int64_t n = images.dim(0);
  const int64_t sample = images.numel() / n;
  batch = std::clamp<int64_t>(batch, 1, n);
  for (int64_t begin = 0; begin < n; begin += batch) {
    // Batches are cut exactly, never padded, so no made-up values reach the observers.
    Shape shape = images.shape();
    shape[0] = std::min(batch, n - begin);
    Tensor x(DType::kFloat32, shape);
    std::memcpy(x.data<float>(), images.data<float>() + begin * sample, x.nbytes());
    const std::vector<Tensor> outs = session.run({{input, x}});
    if (auto it = observers.find(input); it != observers.end()) it->second.observe(x);
    const auto& names = session.model().outputs;
    for (size_t i = 0; i < names.size(); ++i)
      if (auto it = observers.find(names[i]); it != observers.end()) it->second.observe(outs[i]);
  }
  return observers;
}

}  // namespace sinter
