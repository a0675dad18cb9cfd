// Recurrent layers as GEMMs: the input projections of every step and both directions are one
// [seq·batch, input] × [input, dirs·gates·hidden] product, since they do not depend on the state;
// what remains per step is the state's product with R (R packed once per run) and element-wise
// gate math over each batch row's contiguous gate vectors.
#include <algorithm>
#include <memory>

#include "core/tensor.h"
#include "kernels/eltwise/unary.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/recurrent/recurrent_problem.h"

namespace sinter {
namespace {

void clip_values(float* v, int64_t n, float clip) {
  if (clip <= 0.0f) return;
  for (int64_t i = 0; i < n; ++i) v[i] = std::clamp(v[i], -clip, clip);
}

// f over n values: the vectorized element-wise kernels where they have the function.
void activate(const RecurrentActivation& f, float* v, int64_t n) {
  using kernels::UnaryOp;
  switch (f.kind) {
    case RecurrentActivationKind::kSigmoid:
      return kernels::unary(UnaryOp::kSigmoid, v, v, n);
    case RecurrentActivationKind::kTanh:
      return kernels::unary(UnaryOp::kTanh, v, v, n);
    case RecurrentActivationKind::kRelu:
      return kernels::unary(UnaryOp::kRelu, v, v, n);
    case RecurrentActivationKind::kHardSigmoid:
      return kernels::unary(UnaryOp::kHardSigmoid, v, v, n, f.alpha, f.beta);
    case RecurrentActivationKind::kLeakyRelu:
      return kernels::unary(UnaryOp::kLeakyRelu, v, v, n, f.alpha);
    default:
      return f.apply(v, n);
  }
}

class GemmDirection {
 public:
  GemmDirection(const RecurrentProblem& p, int d, const float* projections,
                const PackedRecurrentWeights& packed, ThreadPool* pool)
      : p_(p),
        d_(d),
        H_(p.hidden_size),
        GH_(p.gate_rows()),
        xw_(projections),
        pool_(pool),
        h_(static_cast<size_t>(p.batch * H_), 0.0f),
        c_(h_.size(), 0.0f),
        gates_(static_cast<size_t>(p.batch * GH_)),
        scratch_(static_cast<size_t>(p.batch * H_)),
        packed_r_(packed.r[d].get()),
        packed_rh_(packed.r_h.empty() ? nullptr : packed.r_h[d].get()) {
    // Rb_h stays with GRU's recurrent product, inside the reset gate's reach.
    if (p.cell == RecurrentCell::kGru) {
      recurrent_bias_.assign(static_cast<size_t>(GH_), 0.0f);
      if (p.bias) std::copy_n(p.bias + d * 2 * GH_ + GH_ + 2 * H_, H_, &recurrent_bias_[2 * H_]);
    }
    peep_ = p.peepholes ? p.peepholes + d * 3 * H_ : nullptr;
    for (int64_t b = 0; b < p.batch; ++b) {
      const int64_t state = p.state_offset(d, b);
      if (p.initial_h) std::copy_n(p.initial_h + state, H_, &h_[b * H_]);
      if (p.initial_c) std::copy_n(p.initial_c + state, H_, &c_[b * H_]);
    }
  }

  void run() {
    int64_t steps = 0;
    for (int64_t b = 0; b < p_.batch; ++b) steps = std::max(steps, p_.length(b));
    for (int64_t s = 0; s < steps; ++s) step(s);
    finish();
  }

 private:
  // Rows past their length still take part in the products (one GEMM for the batch) but keep
  // their state.
  void step(int64_t s) {
    const bool gru_two_products = p_.cell == RecurrentCell::kGru && !p_.linear_before_reset;
    GemmEpilogue epi;
    if (p_.cell == RecurrentCell::kGru && !gru_two_products)
      epi.bias_per_col = recurrent_bias_.data();
    sgemm_packed_b(false, p_.batch, h_.data(), H_, *packed_r_, gates_.data(), GH_, epi, pool_);
    if (gru_two_products) {
      for (int64_t b = 0; b < p_.batch; ++b)
        if (s < p_.length(b)) gru_update_and_reset(s, b);
      GemmEpilogue bias;
      bias.bias_per_col = &recurrent_bias_[2 * H_];
      // r ⊙ H sits in scratch_; its product lands in the h gate's columns.
      sgemm_packed_b(false, p_.batch, scratch_.data(), H_, *packed_rh_, gates_.data() + 2 * H_, GH_,
                     bias, pool_);
    }
    for (int64_t b = 0; b < p_.batch; ++b) {
      const int64_t len = p_.length(b);
      if (s >= len) continue;
      const int64_t t = p_.backward(d_) ? len - 1 - s : s;
      const float* xw = xw_ + p_.x_row(t, b) * p_.directions * GH_ + d_ * GH_;
      switch (p_.cell) {
        case RecurrentCell::kLstm:
          lstm_row(b, xw);
          break;
        case RecurrentCell::kGru:
          gru_row(b, xw, gru_two_products);
          break;
        case RecurrentCell::kRnn:
          rnn_row(b, xw);
          break;
      }
      if (p_.y) std::copy_n(&h_[b * H_], H_, p_.y + p_.y_offset(t, d_, b));
    }
  }

  const RecurrentActivation& act(int k) const { return p_.activation(d_, k); }

  // gates_ row b holds H·R^T; adds the projections (biases included) to gates
  // [first, first + count) and returns where they start.
  float* gate_inputs(int64_t b, const float* xw, int first, int count) {
    float* g = &gates_[b * GH_ + first * H_];
    for (int64_t k = 0; k < count * H_; ++k) g[k] += xw[first * H_ + k];
    return g;
  }

  void lstm_row(int64_t b, const float* xw) {
    float* g = gate_inputs(b, xw, 0, 4);
    float *i = g, *o = g + H_, *f = g + 2 * H_, *cand = g + 3 * H_;
    float* c = &c_[b * H_];
    float* h = &h_[b * H_];
    if (peep_) {
      for (int64_t j = 0; j < H_; ++j) {
        i[j] += peep_[j] * c[j];
        f[j] += peep_[2 * H_ + j] * c[j];
      }
    }
    clip_values(i, H_, p_.clip);
    activate(act(0), i, H_);
    if (p_.input_forget) {
      for (int64_t j = 0; j < H_; ++j) f[j] = 1.0f - i[j];
    } else {
      clip_values(f, H_, p_.clip);
      activate(act(0), f, H_);
    }
    clip_values(cand, H_, p_.clip);
    activate(act(1), cand, H_);
    for (int64_t j = 0; j < H_; ++j) c[j] = f[j] * c[j] + i[j] * cand[j];
    if (peep_)
      for (int64_t j = 0; j < H_; ++j) o[j] += peep_[H_ + j] * c[j];
    clip_values(o, H_, p_.clip);
    activate(act(0), o, H_);
    float* hc = &scratch_[b * H_];
    std::copy_n(c, H_, hc);
    activate(act(2), hc, H_);
    for (int64_t j = 0; j < H_; ++j) h[j] = o[j] * hc[j];
  }

  // GRU without linear_before_reset: z and r, and r ⊙ H for the second product.
  void gru_update_and_reset(int64_t s, int64_t b) {
    const int64_t len = p_.length(b);
    const int64_t t = p_.backward(d_) ? len - 1 - s : s;
    const float* xw = xw_ + p_.x_row(t, b) * p_.directions * GH_ + d_ * GH_;
    float* zr = gate_inputs(b, xw, 0, 2);
    clip_values(zr, 2 * H_, p_.clip);
    activate(act(0), zr, 2 * H_);
    const float* r = zr + H_;
    const float* h = &h_[b * H_];
    float* rh = &scratch_[b * H_];
    for (int64_t j = 0; j < H_; ++j) rh[j] = r[j] * h[j];
  }

  void gru_row(int64_t b, const float* xw, bool reset_applied) {
    float* g = &gates_[b * GH_];
    float *z = g, *r = g + H_, *hh = g + 2 * H_;
    if (!reset_applied) {
      gate_inputs(b, xw, 0, 2);
      clip_values(z, 2 * H_, p_.clip);
      activate(act(0), z, 2 * H_);
      for (int64_t j = 0; j < H_; ++j) hh[j] *= r[j];
    }
    for (int64_t j = 0; j < H_; ++j) hh[j] += xw[2 * H_ + j];
    clip_values(hh, H_, p_.clip);
    activate(act(1), hh, H_);
    float* h = &h_[b * H_];
    for (int64_t j = 0; j < H_; ++j) h[j] = (1.0f - z[j]) * hh[j] + z[j] * h[j];
  }

  void rnn_row(int64_t b, const float* xw) {
    float* g = gate_inputs(b, xw, 0, 1);
    clip_values(g, H_, p_.clip);
    activate(act(0), g, H_);
    std::copy_n(g, H_, &h_[b * H_]);
  }

  // Steps past a row's length are zero in Y; Y_h and Y_c are the state at its last step.
  void finish() {
    for (int64_t b = 0; b < p_.batch; ++b) {
      for (int64_t t = p_.length(b); t < p_.seq_length && p_.y; ++t)
        std::fill_n(p_.y + p_.y_offset(t, d_, b), H_, 0.0f);
      const int64_t state = p_.state_offset(d_, b);
      if (p_.y_h) std::copy_n(&h_[b * H_], H_, p_.y_h + state);
      if (p_.y_c) std::copy_n(&c_[b * H_], H_, p_.y_c + state);
    }
  }

  const RecurrentProblem& p_;
  int d_;
  int64_t H_, GH_;
  const float* xw_;
  ThreadPool* pool_;
  std::vector<float> h_, c_, gates_, scratch_, recurrent_bias_;
  const float* peep_ = nullptr;
  const PackedMatrixB* packed_r_;
  const PackedMatrixB* packed_rh_;
};

// Wb, plus Rb wherever it adds outside GRU's reset gate, per column of the projection.
std::vector<float> projection_bias(const RecurrentProblem& p) {
  const int64_t gh = p.gate_rows();
  std::vector<float> bias(static_cast<size_t>(p.directions * gh), 0.0f);
  if (!p.bias) return bias;
  const int64_t rb_columns = p.cell == RecurrentCell::kGru ? 2 * p.hidden_size : gh;
  for (int d = 0; d < p.directions; ++d) {
    const float* wb = p.bias + d * 2 * gh;
    for (int64_t k = 0; k < gh; ++k) bias[d * gh + k] = wb[k] + (k < rb_columns ? wb[gh + k] : 0);
  }
  return bias;
}

}  // namespace

PackedRecurrentWeights pack_recurrent_weights(const RecurrentProblem& p) {
  const int64_t H = p.hidden_size, gh = p.gate_rows();
  PackedRecurrentWeights packed;
  for (int d = 0; d < p.directions; ++d) {
    const float* r = p.r + d * gh * H;
    if (p.cell == RecurrentCell::kGru && !p.linear_before_reset) {
      packed.r.push_back(std::make_shared<PackedMatrixB>(true, H, 2 * H, r, H));
      packed.r_h.push_back(std::make_shared<PackedMatrixB>(true, H, H, r + 2 * H * H, H));
    } else {
      packed.r.push_back(std::make_shared<PackedMatrixB>(true, H, gh, r, H));
    }
  }
  return packed;
}

void recurrent_gemm(const RecurrentProblem& p, ThreadPool* pool,
                    const PackedRecurrentWeights* packed) {
  const int64_t rows = p.seq_length * p.batch, cols = p.directions * p.gate_rows();
  // A tensor, so that this buffer (gates times the hidden size per step) counts against the
  // memory limit and its size is checked.
  Tensor projections_buffer(DType::kFloat32, {rows, cols});
  float* projections = projections_buffer.data<float>();
  const std::vector<float> bias = projection_bias(p);
  GemmEpilogue epi;
  epi.bias_per_col = bias.data();
  if (rows > 0)
    sgemm(false, true, rows, cols, p.input_size, 1.0f, p.x, p.input_size, p.w, p.input_size, 0.0f,
          projections, cols, epi, pool);
  const PackedRecurrentWeights here = packed ? PackedRecurrentWeights{} : pack_recurrent_weights(p);
  for (int d = 0; d < p.directions; ++d)
    GemmDirection(p, d, projections, packed ? *packed : here, pool).run();
}

}  // namespace sinter
