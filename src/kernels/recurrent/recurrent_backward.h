#pragma once
// Backpropagation through time for an LSTM, GRU or RNN layer with any options: per direction, the
// forward pass recomputed with every step's gate inputs kept, then the steps walked back, each
// step's products with R one GEMM over the batch. The gradients of the gate inputs of all steps are
// gathered so that dX, dW and dR are each one GEMM over the whole sequence.
#include "kernels/recurrent/recurrent_problem.h"

namespace sinter {

struct RecurrentGradients {
  const float* dy = nullptr;    // as Y; null: no gradient reaches Y
  const float* dy_h = nullptr;  // as Y_h
  const float* dy_c = nullptr;  // as Y_c (LSTM)
  float* dx = nullptr;          // as X; null: not wanted
  float* dw = nullptr;          // as W
  float* dr = nullptr;          // as R
  float* db = nullptr;          // as B
  float* d_initial_h = nullptr;
  float* d_initial_c = nullptr;
  float* dp = nullptr;  // as P (LSTM)
};

// `p` describes the forward layer (its outputs unused).
void recurrent_backward(const RecurrentProblem& p, const RecurrentGradients& g, ThreadPool* pool);

}  // namespace sinter
