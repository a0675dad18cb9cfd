#include "kernels/recurrent/recurrent_backward.h"

#include <algorithm>

#include "kernels/gemm/sgemm.h"

namespace sinter {
namespace {

// What the forward pass leaves for the backward one, one row per (step, batch row) in X's row
// order: the gates' summed inputs before clipping, the state before and after, and what R_h
// multiplied (GRU: r ⊙ H, or H with linear_before_reset, whose product q is kept too).
struct Trace {
  std::vector<float> gate_in, h_prev, c_prev, h, c, rh_in, q;
};

class Backprop {
 public:
  Backprop(const RecurrentProblem& p, const RecurrentGradients& g)
      : p_(p),
        g_(g),
        H_(p.hidden_size),
        I_(p.input_size),
        GH_(p.gate_rows()),
        rows_(p.seq_length * p.batch),
        zeros_(static_cast<size_t>(2 * GH_), 0.0f) {
    wb_ = p.bias ? p.bias : zeros_.data();
    rb_ = wb_ + GH_;
    const size_t states = static_cast<size_t>(rows_ * H_);
    tr_.gate_in.assign(static_cast<size_t>(rows_ * GH_), 0.0f);
    for (auto* v : {&tr_.h_prev, &tr_.c_prev, &tr_.h, &tr_.c, &tr_.rh_in, &tr_.q})
      v->assign(states, 0.0f);
    d_gate_.assign(tr_.gate_in.size(), 0.0f);
    d_rec_.assign(tr_.gate_in.size(), 0.0f);
  }

  void run(ThreadPool* pool) {
    for (int64_t b = 0; b < p_.batch; ++b) forward_row(b);
    for (int64_t b = 0; b < p_.batch; ++b) backward_row(b);
    weight_gradients(pool);
  }

 private:
  float clipped(float v) const { return p_.clip > 0.0f ? std::clamp(v, -p_.clip, p_.clip) : v; }
  // f(clip(a)) and d f(clip(a)) / da for activation k.
  float act(int k, float a) const { return p_.activation(0, k)(clipped(a)); }
  float slope(int k, float a) const {
    if (p_.clip > 0.0f && (a < -p_.clip || a > p_.clip)) return 0.0f;
    return p_.activation(0, k).derivative(clipped(a));
  }
  float dot(const float* a, const float* b, int64_t n) const {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }

  void forward_row(int64_t b) {
    std::vector<float> h(H_, 0.0f), c(H_, 0.0f);
    const int64_t state = p_.state_offset(0, b);
    if (p_.initial_h) std::copy_n(p_.initial_h + state, H_, h.begin());
    if (p_.initial_c) std::copy_n(p_.initial_c + state, H_, c.begin());
    for (int64_t t = 0; t < p_.length(b); ++t) {
      const int64_t row = p_.x_row(t, b);
      const float* x = p_.x + row * I_;
      float* a = &tr_.gate_in[row * GH_];
      std::copy(h.begin(), h.end(), &tr_.h_prev[row * H_]);
      std::copy(c.begin(), c.end(), &tr_.c_prev[row * H_]);
      // R's product joins every gate but GRU's h, which is formed below.
      const int64_t direct = p_.cell == RecurrentCell::kGru ? 2 * H_ : GH_;
      for (int64_t k = 0; k < GH_; ++k) {
        a[k] = wb_[k] + dot(x, p_.w + k * I_, I_);
        if (k < direct) a[k] += rb_[k] + dot(h.data(), p_.r + k * H_, H_);
      }
      switch (p_.cell) {
        case RecurrentCell::kLstm:
          for (int64_t j = 0; j < H_; ++j) {
            const float i = act(0, a[j]), o = act(0, a[H_ + j]), f = act(0, a[2 * H_ + j]);
            c[j] = f * c[j] + i * act(1, a[3 * H_ + j]);
            h[j] = o * p_.activation(0, 2)(c[j]);
          }
          break;
        case RecurrentCell::kGru: {
          float* rh = &tr_.rh_in[row * H_];
          float* q = &tr_.q[row * H_];
          for (int64_t j = 0; j < H_; ++j)
            rh[j] = p_.linear_before_reset ? h[j] : act(0, a[H_ + j]) * h[j];
          for (int64_t j = 0; j < H_; ++j) {
            q[j] = rb_[2 * H_ + j] + dot(rh, p_.r + (2 * H_ + j) * H_, H_);
            a[2 * H_ + j] += p_.linear_before_reset ? act(0, a[H_ + j]) * q[j] : q[j];
          }
          for (int64_t j = 0; j < H_; ++j) {
            const float z = act(0, a[j]);
            h[j] = (1.0f - z) * act(1, a[2 * H_ + j]) + z * h[j];
          }
          break;
        }
        case RecurrentCell::kRnn:
          for (int64_t j = 0; j < H_; ++j) h[j] = act(0, a[j]);
          break;
      }
      std::copy(h.begin(), h.end(), &tr_.h[row * H_]);
      std::copy(c.begin(), c.end(), &tr_.c[row * H_]);
    }
  }

  // Walks row b's steps back. dh and dc hold dL/dH_t and dL/dC_t as they arrive from later steps.
  void backward_row(int64_t b) {
    const int64_t state = p_.state_offset(0, b);
    std::vector<float> dh(H_, 0.0f), dc(H_, 0.0f), dh_prev(H_), dc_prev(H_);
    if (g_.dy_h) std::copy_n(g_.dy_h + state, H_, dh.begin());
    if (g_.dy_c) std::copy_n(g_.dy_c + state, H_, dc.begin());
    for (int64_t t = p_.length(b) - 1; t >= 0; --t) {
      const int64_t row = p_.x_row(t, b);
      if (g_.dy)
        for (int64_t j = 0; j < H_; ++j) dh[j] += g_.dy[p_.y_offset(t, 0, b) + j];
      std::fill(dh_prev.begin(), dh_prev.end(), 0.0f);
      switch (p_.cell) {
        case RecurrentCell::kLstm:
          lstm_step(row, dh, dc, dc_prev);
          dc.swap(dc_prev);
          break;
        case RecurrentCell::kGru:
          gru_step(row, dh, dh_prev);
          break;
        case RecurrentCell::kRnn: {
          const float* a = &tr_.gate_in[row * GH_];
          for (int64_t j = 0; j < H_; ++j) d_gate_[row * GH_ + j] = dh[j] * slope(0, a[j]);
          std::copy_n(&d_gate_[row * GH_], GH_, &d_rec_[row * GH_]);
          break;
        }
      }
      // dL/dH_{t-1} through R: every gate whose product R made from H_{t-1} itself.
      const int64_t direct = p_.cell == RecurrentCell::kGru ? 2 * H_ : GH_;
      const float* dr = &d_rec_[row * GH_];
      for (int64_t k = 0; k < direct; ++k)
        for (int64_t j = 0; j < H_; ++j) dh_prev[j] += dr[k] * p_.r[k * H_ + j];
      dh.swap(dh_prev);
    }
    if (g_.d_initial_h) std::copy(dh.begin(), dh.end(), g_.d_initial_h + state);
    if (g_.d_initial_c) std::copy(dc.begin(), dc.end(), g_.d_initial_c + state);
  }

  void lstm_step(int64_t row, const std::vector<float>& dh, const std::vector<float>& dc_in,
                 std::vector<float>& dc_prev) {
    const float* a = &tr_.gate_in[row * GH_];
    const float* c = &tr_.c[row * H_];
    const float* c_prev = &tr_.c_prev[row * H_];
    float* da = &d_gate_[row * GH_];
    const RecurrentActivation& h_act = p_.activation(0, 2);
    for (int64_t j = 0; j < H_; ++j) {
      const float i = act(0, a[j]), o = act(0, a[H_ + j]), f = act(0, a[2 * H_ + j]);
      const float cand = act(1, a[3 * H_ + j]);
      const float dcell = dc_in[j] + dh[j] * o * h_act.derivative(c[j]);
      da[j] = dcell * cand * slope(0, a[j]);
      da[H_ + j] = dh[j] * h_act(c[j]) * slope(0, a[H_ + j]);
      da[2 * H_ + j] = dcell * c_prev[j] * slope(0, a[2 * H_ + j]);
      da[3 * H_ + j] = dcell * i * slope(1, a[3 * H_ + j]);
      dc_prev[j] = dcell * f;
    }
    std::copy_n(da, GH_, &d_rec_[row * GH_]);
  }

  void gru_step(int64_t row, const std::vector<float>& dh, std::vector<float>& dh_prev) {
    const float* a = &tr_.gate_in[row * GH_];
    const float* h_prev = &tr_.h_prev[row * H_];
    const float* q = &tr_.q[row * H_];
    float* da = &d_gate_[row * GH_];
    float* dr = &d_rec_[row * GH_];
    std::vector<float> d_r(H_, 0.0f);
    for (int64_t j = 0; j < H_; ++j) {
      const float z = act(0, a[j]), hh = act(1, a[2 * H_ + j]);
      da[j] = dh[j] * (h_prev[j] - hh) * slope(0, a[j]);
      da[2 * H_ + j] = dh[j] * (1.0f - z) * slope(1, a[2 * H_ + j]);
      dh_prev[j] += dh[j] * z;
    }
    for (int64_t j = 0; j < H_; ++j) {
      const float r = act(0, a[H_ + j]);
      if (p_.linear_before_reset) {
        // a_h = ... + r ⊙ q, q = R_h·H + Rb_h.
        dr[2 * H_ + j] = da[2 * H_ + j] * r;
        d_r[j] = da[2 * H_ + j] * q[j];
      }
    }
    if (!p_.linear_before_reset) {
      // a_h = ... + R_h·(r ⊙ H): back through R_h to r ⊙ H, then to r and H.
      std::copy_n(da + 2 * H_, H_, dr + 2 * H_);
      for (int64_t k = 0; k < H_; ++k) {
        float d_rh = 0.0f;
        for (int64_t j = 0; j < H_; ++j) d_rh += da[2 * H_ + j] * p_.r[(2 * H_ + j) * H_ + k];
        d_r[k] = d_rh * h_prev[k];
        dh_prev[k] += d_rh * act(0, a[H_ + k]);
      }
    } else {
      for (int64_t k = 0; k < H_; ++k)
        for (int64_t j = 0; j < H_; ++j) dh_prev[k] += dr[2 * H_ + j] * p_.r[(2 * H_ + j) * H_ + k];
    }
    for (int64_t j = 0; j < H_; ++j) da[H_ + j] = d_r[j] * slope(0, a[H_ + j]);
    std::copy_n(da, 2 * H_, dr);
  }

  // dX = dA·W, dW = dA^T·X, dR = dA_R^T·(what R multiplied), dB = column sums.
  void weight_gradients(ThreadPool* pool) {
    const GemmEpilogue none;
    if (g_.dx && rows_ > 0)
      sgemm(false, false, rows_, I_, GH_, 1.0f, d_gate_.data(), GH_, p_.w, I_, 0.0f, g_.dx, I_,
            none, pool);
    if (g_.dw)
      sgemm(true, false, GH_, I_, rows_, 1.0f, d_gate_.data(), GH_, p_.x, I_, 0.0f, g_.dw, I_, none,
            pool);
    if (g_.dr) {
      const bool gru = p_.cell == RecurrentCell::kGru;
      const int64_t direct = gru ? 2 * H_ : GH_;
      sgemm(true, false, direct, H_, rows_, 1.0f, d_rec_.data(), GH_, tr_.h_prev.data(), H_, 0.0f,
            g_.dr, H_, none, pool);
      if (gru)
        sgemm(true, false, H_, H_, rows_, 1.0f, d_rec_.data() + 2 * H_, GH_, tr_.rh_in.data(), H_,
              0.0f, g_.dr + 2 * H_ * H_, H_, none, pool);
    }
    if (g_.db) {
      std::fill_n(g_.db, 2 * GH_, 0.0f);
      for (int64_t row = 0; row < rows_; ++row)
        for (int64_t k = 0; k < GH_; ++k) {
          g_.db[k] += d_gate_[row * GH_ + k];
          g_.db[GH_ + k] += d_rec_[row * GH_ + k];
        }
    }
  }

  const RecurrentProblem& p_;
  const RecurrentGradients& g_;
  int64_t H_, I_, GH_, rows_;
  std::vector<float> zeros_;
  const float *wb_, *rb_;
  Trace tr_;
  std::vector<float> d_gate_, d_rec_;  // dL/d(gate inputs), dL/d(R's products), per X row
};

}  // namespace

void recurrent_backward(const RecurrentProblem& p, const RecurrentGradients& g, ThreadPool* pool) {
  Backprop(p, g).run(pool);
}

}  // namespace sinter
