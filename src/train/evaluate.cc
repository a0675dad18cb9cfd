#include "train/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "runtime/session.h"

namespace sinter {

Evaluation evaluate(const Graph& model, const Dataset& data, int64_t batch, int threads,
                    bool keep_logits, bool integer_layers) {
  validate(data);
  if (batch < 1) throw InputError(cat("batch size must be positive, got ", batch));
  if (model.inputs.size() != 1 || model.outputs.size() != 1)
    throw InputError(cat("evaluation needs a model with one input and one output, this one has ",
                         model.inputs.size(), " and ", model.outputs.size()));
  const Shape& images = data.images.shape();
  batch = std::min(batch, std::max<int64_t>(data.size(), 1));
  Shape shape = images;
  shape[0] = batch;
  if (const ValueType* t = model.type_of(model.inputs[0]); t && t->has_shape) {
    bool fits = t->shape.size() == shape.size();
    for (size_t d = 0; fits && d < shape.size(); ++d)
      fits = t->shape[d] < 0 || t->shape[d] == shape[d];
    if (!fits)
      throw InputError(cat(data.name, ": images ", shape_str(images),
                           " do not fit the model input ", shape_str(t->shape)));
  }

  SessionOptions options{threads, true, false};
  options.integer_layers = integer_layers;
  Session session(model, options);
  return evaluate(session, model.inputs[0], batch, data, keep_logits);
}

Evaluation evaluate(Session& session, const std::string& input_name, int64_t batch,
                    const Dataset& data, bool keep_logits) {
  validate(data);
  if (batch < 1) throw InputError(cat("batch size must be positive, got ", batch));
  const int64_t n = data.size();
  const int64_t sample = data.images.numel() / std::max<int64_t>(n, 1);
  Shape shape = data.images.shape();
  shape[0] = batch;
  Evaluation ev;
  ev.samples = n;
  const int64_t* labels = data.labels.data<int64_t>();
  Tensor input(DType::kFloat32, shape);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t size = std::min(batch, n - begin);
    std::memcpy(input.data<float>(), data.images.data<float>() + begin * sample,
                static_cast<size_t>(size * sample) * sizeof(float));
    const Tensor logits = session.run({{input_name, input}})[0];
    if (logits.rank() != 2 || logits.dim(0) != batch)
      throw InputError(
          cat("the model output must be logits [batch, classes], got ", shape_str(logits.shape())));
    const int64_t k = logits.dim(1);
    if (ev.num_classes == 0) {
      if (k < data.num_classes)
        throw InputError(
            cat("the model predicts ", k, " classes but ", data.name, " has ", data.num_classes));
      ev.num_classes = k;
      ev.confusion.assign(static_cast<size_t>(k * k), 0);
    }
    if (keep_logits)
      ev.logits.insert(ev.logits.end(), logits.data<float>(), logits.data<float>() + size * k);
    for (int64_t i = 0; i < size; ++i) {
      const float* row = logits.data<float>() + i * k;
      const float top = *std::max_element(row, row + k);
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(row[c] - top));
      const int64_t label = labels[begin + i];
      const double loss = std::log(sum) - (row[label] - top);
      if (!std::isfinite(loss))
        throw NumericError(
            cat("the logits of sample ", begin + i, " of ", data.name, " are not finite"));
      ev.loss += loss;
      const int64_t predicted = std::max_element(row, row + k) - row;
      ev.correct += predicted == label;
      ++ev.confusion[static_cast<size_t>(label * k + predicted)];
    }
  }
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (n > 0) {
    ev.accuracy = static_cast<double>(ev.correct) / static_cast<double>(n);
    ev.loss /= static_cast<double>(n);
  }
  return ev;
}

}  // namespace sinter
