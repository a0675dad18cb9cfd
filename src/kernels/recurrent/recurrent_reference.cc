// The spec's equations, one batch row, step and hidden unit at a time, with every product summed
// in its own loop: slow, and plainly what ONNX defines.
#include <algorithm>

#include "kernels/recurrent/recurrent_problem.h"

namespace sinter {
namespace {

class ReferenceDirection {
 public:
  ReferenceDirection(const RecurrentProblem& p, int d, const std::vector<float>& zero_bias)
      : p_(p), d_(d), H_(p.hidden_size), I_(p.input_size) {
    const int64_t gh = p.gate_rows();
    w_ = p.w + d * gh * I_;
    r_ = p.r + d * gh * H_;
    const float* bias = p.bias ? p.bias + d * 2 * gh : zero_bias.data();
    wb_ = bias;
    rb_ = bias + gh;
    peep_ = p.peepholes ? p.peepholes + d * 3 * H_ : zero_bias.data();
  }

  // x·W_g^T + Wb_g for unit j of gate g at step t of batch row b.
  float input_term(int g, int64_t j, int64_t t, int64_t b) const {
    const float* x = p_.x + p_.x_row(t, b) * I_;
    const float* w = w_ + (g * H_ + j) * I_;
    float s = wb_[g * H_ + j];
    for (int64_t i = 0; i < I_; ++i) s += x[i] * w[i];
    return s;
  }

  // h·R_g^T + Rb_g for unit j of gate g.
  float recurrent_term(int g, int64_t j, const std::vector<float>& h) const {
    const float* r = r_ + (g * H_ + j) * H_;
    float s = rb_[g * H_ + j];
    for (int64_t k = 0; k < H_; ++k) s += h[k] * r[k];
    return s;
  }

  float clipped(float v) const { return p_.clip > 0.0f ? std::clamp(v, -p_.clip, p_.clip) : v; }
  float act(int k, float v) const { return p_.activation(d_, k)(v); }

  void lstm_step(int64_t t, int64_t b, std::vector<float>& h, std::vector<float>& c) const {
    std::vector<float> h_new(H_), c_new(H_);
    for (int64_t j = 0; j < H_; ++j) {
      const float pi = peep_[j], po = peep_[H_ + j], pf = peep_[2 * H_ + j];
      const float i = act(0, clipped(input_term(0, j, t, b) + recurrent_term(0, j, h) + pi * c[j]));
      const float f =
          p_.input_forget
              ? 1.0f - i
              : act(0, clipped(input_term(2, j, t, b) + recurrent_term(2, j, h) + pf * c[j]));
      const float g = act(1, clipped(input_term(3, j, t, b) + recurrent_term(3, j, h)));
      c_new[j] = f * c[j] + i * g;
      const float o =
          act(0, clipped(input_term(1, j, t, b) + recurrent_term(1, j, h) + po * c_new[j]));
      h_new[j] = o * act(2, c_new[j]);
    }
    h = h_new;
    c = c_new;
  }

  void gru_step(int64_t t, int64_t b, std::vector<float>& h) const {
    std::vector<float> z(H_), r(H_), rh(H_), h_new(H_);
    for (int64_t j = 0; j < H_; ++j) {
      z[j] = act(0, clipped(input_term(0, j, t, b) + recurrent_term(0, j, h)));
      r[j] = act(0, clipped(input_term(1, j, t, b) + recurrent_term(1, j, h)));
      rh[j] = r[j] * h[j];
    }
    for (int64_t j = 0; j < H_; ++j) {
      const float hidden =
          p_.linear_before_reset ? r[j] * recurrent_term(2, j, h) : recurrent_term(2, j, rh);
      const float hh = act(1, clipped(input_term(2, j, t, b) + hidden));
      h_new[j] = (1.0f - z[j]) * hh + z[j] * h[j];
    }
    h = h_new;
  }

  void rnn_step(int64_t t, int64_t b, std::vector<float>& h) const {
    std::vector<float> h_new(H_);
    for (int64_t j = 0; j < H_; ++j)
      h_new[j] = act(0, clipped(input_term(0, j, t, b) + recurrent_term(0, j, h)));
    h = h_new;
  }

  void run_row(int64_t b) const {
    std::vector<float> h(H_, 0.0f), c(H_, 0.0f);
    const int64_t state = p_.state_offset(d_, b);
    if (p_.initial_h) std::copy(p_.initial_h + state, p_.initial_h + state + H_, h.begin());
    if (p_.initial_c) std::copy(p_.initial_c + state, p_.initial_c + state + H_, c.begin());
    const int64_t len = p_.length(b);
    for (int64_t s = 0; s < len; ++s) {
      const int64_t t = p_.backward(d_) ? len - 1 - s : s;
      switch (p_.cell) {
        case RecurrentCell::kLstm:
          lstm_step(t, b, h, c);
          break;
        case RecurrentCell::kGru:
          gru_step(t, b, h);
          break;
        case RecurrentCell::kRnn:
          rnn_step(t, b, h);
          break;
      }
      if (p_.y) std::copy(h.begin(), h.end(), p_.y + p_.y_offset(t, d_, b));
    }
    for (int64_t t = len; t < p_.seq_length && p_.y; ++t)
      std::fill_n(p_.y + p_.y_offset(t, d_, b), H_, 0.0f);
    if (p_.y_h) std::copy(h.begin(), h.end(), p_.y_h + state);
    if (p_.y_c) std::copy(c.begin(), c.end(), p_.y_c + state);
  }

 private:
  const RecurrentProblem& p_;
  int d_;
  int64_t H_, I_;
  const float *w_, *r_, *wb_, *rb_, *peep_;
};

}  // namespace

void recurrent_reference(const RecurrentProblem& p) {
  const std::vector<float> zero_bias(static_cast<size_t>(2 * p.gate_rows() + 3 * p.hidden_size));
  for (int d = 0; d < p.directions; ++d) {
    const ReferenceDirection dir(p, d, zero_bias);
    for (int64_t b = 0; b < p.batch; ++b) dir.run_row(b);
  }
}

}  // namespace sinter
