#pragma once
// The activation functions the recurrent ops (LSTM, GRU, RNN) accept by name in their
// 'activations' attribute, each with its alpha and beta where it takes them.
#include <cstdint>
#include <optional>
#include <string>

namespace sinter {

enum class RecurrentActivationKind {
  kSigmoid,
  kTanh,
  kRelu,
  kHardSigmoid,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kAffine,
  kElu,
  kSoftsign,
  kSoftplus,
};

struct RecurrentActivation {
  RecurrentActivationKind kind = RecurrentActivationKind::kSigmoid;
  float alpha = 0.0f;
  float beta = 0.0f;

  float operator()(float x) const;
  // v[i] = f(v[i]) for n values: the switch taken once, not per element.
  void apply(float* v, int64_t n) const;
  // f'(x), for backpropagation (at a kink, the right-hand slope).
  float derivative(float x) const;
};

// The kind an ONNX name spells (matched without regard to case, as exporters differ); nullopt
// for a name that is not one of them.
std::optional<RecurrentActivationKind> recurrent_activation_kind(const std::string& name);
// How many of alpha, beta the kind reads from the attribute lists (0, 1 or 2).
int recurrent_activation_parameters(RecurrentActivationKind kind);
// The alpha and beta of the kind's ONNX operator when the attribute lists leave them out.
RecurrentActivation default_recurrent_activation(RecurrentActivationKind kind);

}  // namespace sinter
