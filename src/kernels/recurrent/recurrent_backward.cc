#include "kernels/recurrent/recurrent_backward.h"

#include <algorithm>

#include "kernels/gemm/sgemm.h"

namespace sinter {
namespace {

// What the forward pass leaves for the backward one, one row per (step, batch row) in X's row
// order: the gates' summed inputs before clipping, the state before the step and the cell after
// it, and what R_h multiplied (GRU: r ⊙ H, or H with linear_before_reset) with its product q.
struct Trace {
  std::vector<float> gate_in, h_prev, c_prev, c, rh_in, q;
};

// Steps run over the whole batch at once so that every product with R is one GEMM; a row past
// its length takes part in the products but keeps its state (forward) or gradient (backward).
class Backprop {
 public:
  Backprop(const RecurrentProblem& p, const RecurrentGradients& g, int d, ThreadPool* pool)
      : p_(p),
        g_(g),
        d_(d),
        pool_(pool),
        H_(p.hidden_size),
        I_(p.input_size),
        GH_(p.gate_rows()),
        B_(p.batch),
        rows_(p.seq_length * p.batch),
        // GRU's h gate meets R through r ⊙ H (or r · q): a product of its own.
        direct_(p.cell == RecurrentCell::kGru ? 2 * H_ : GH_),
        zeros_(static_cast<size_t>(2 * GH_), 0.0f) {
    w_ = p.w + d * GH_ * I_;
    r_ = p.r + d * GH_ * H_;
    wb_ = p.bias ? p.bias + d * 2 * GH_ : zeros_.data();
    peep_ = p.peepholes ? p.peepholes + d * 3 * H_ : zeros_.data();
    rb_ = wb_ + GH_;
    for (int64_t b = 0; b < B_; ++b) steps_ = std::max(steps_, p.length(b));
    const size_t states = static_cast<size_t>(rows_ * H_);
    tr_.gate_in.assign(static_cast<size_t>(rows_ * GH_), 0.0f);
    for (auto* v : {&tr_.h_prev, &tr_.c_prev, &tr_.c, &tr_.rh_in, &tr_.q}) v->assign(states, 0.0f);
    d_gate_.assign(tr_.gate_in.size(), 0.0f);
    d_rec_.assign(tr_.gate_in.size(), 0.0f);
    dp_.assign(static_cast<size_t>(3 * H_), 0.0f);
  }

  void run() {
    forward();
    backward();
    weight_gradients();
  }

 private:
  // Step s of row b: its time (counted from the row's end when the direction runs backward)
  // and where that lies in X.
  bool active(int64_t s, int64_t b) const { return s < p_.length(b); }
  int64_t time(int64_t s, int64_t b) const { return p_.backward(d_) ? p_.length(b) - 1 - s : s; }
  int64_t row_at(int64_t s, int64_t b) const { return p_.x_row(time(s, b), b); }
  float clipped(float v) const { return p_.clip > 0.0f ? std::clamp(v, -p_.clip, p_.clip) : v; }
  // f(clip(a)) and d f(clip(a)) / da for activation k.
  float act(int k, float a) const { return p_.activation(d_, k)(clipped(a)); }
  float slope(int k, float a) const {
    if (p_.clip > 0.0f && (a < -p_.clip || a > p_.clip)) return 0.0f;
    return p_.activation(d_, k).derivative(clipped(a));
  }
  // out[B_ x n] = in[B_ x k] · m (m is k x n, or n x k when trans) + beta · out.
  void batch_product(const float* in, int64_t k, const float* m, bool trans, int64_t n, float* out,
                     float beta = 0.0f, const float* bias = nullptr) const {
    GemmEpilogue epi;
    epi.bias_per_col = bias;
    sgemm(false, trans, B_, n, k, 1.0f, in, k, m, trans ? k : n, beta, out, n, epi, pool_);
  }

  void forward() {
    // Wb, and Rb where R's product adds directly, go with the input projections.
    std::vector<float> bias(static_cast<size_t>(GH_));
    for (int64_t k = 0; k < GH_; ++k) bias[k] = wb_[k] + (k < direct_ ? rb_[k] : 0.0f);
    GemmEpilogue epi;
    epi.bias_per_col = bias.data();
    if (rows_ > 0)
      sgemm(false, true, rows_, GH_, I_, 1.0f, p_.x, I_, w_, I_, 0.0f, tr_.gate_in.data(), GH_, epi,
            pool_);
    std::vector<float> h(static_cast<size_t>(B_ * H_), 0.0f), c(h.size(), 0.0f), rh(h.size()),
        q(h.size()), hr(static_cast<size_t>(B_ * direct_));
    for (int64_t b = 0; b < B_; ++b) {
      const int64_t state = p_.state_offset(d_, b);
      if (p_.initial_h) std::copy_n(p_.initial_h + state, H_, &h[b * H_]);
      if (p_.initial_c) std::copy_n(p_.initial_c + state, H_, &c[b * H_]);
    }
    for (int64_t s = 0; s < steps_; ++s) {
      batch_product(h.data(), H_, r_, true, direct_, hr.data());
      for (int64_t b = 0; b < B_; ++b) {
        if (!active(s, b)) continue;
        const int64_t row = row_at(s, b);
        float* a = &tr_.gate_in[row * GH_];
        float* hb = &h[b * H_];
        float* cb = &c[b * H_];
        std::copy_n(hb, H_, &tr_.h_prev[row * H_]);
        std::copy_n(cb, H_, &tr_.c_prev[row * H_]);
        for (int64_t k = 0; k < direct_; ++k) a[k] += hr[b * direct_ + k];
        for (int64_t j = 0; j < H_; ++j) {
          switch (p_.cell) {
            case RecurrentCell::kLstm: {
              // Peepholes: i and f see C_{t-1}, o sees C_t; kept in the gate inputs.
              a[j] += peep_[j] * cb[j];
              a[2 * H_ + j] += peep_[2 * H_ + j] * cb[j];
              const float i = act(0, a[j]);
              const float f = p_.input_forget ? 1.0f - i : act(0, a[2 * H_ + j]);
              cb[j] = f * cb[j] + i * act(1, a[3 * H_ + j]);
              a[H_ + j] += peep_[H_ + j] * cb[j];
              hb[j] = act(0, a[H_ + j]) * p_.activation(d_, 2)(cb[j]);
              break;
            }
            case RecurrentCell::kGru:
              rh[b * H_ + j] = p_.linear_before_reset ? hb[j] : act(0, a[H_ + j]) * hb[j];
              break;
            case RecurrentCell::kRnn:
              hb[j] = act(0, a[j]);
              break;
          }
        }
        std::copy_n(cb, H_, &tr_.c[row * H_]);
      }
      if (p_.cell == RecurrentCell::kGru) gru_forward_h(s, h, rh, q);
    }
  }

  // GRU's h gate for step s, once r ⊙ H (or H) of every row is in rh: q = rh · R_h^T + Rb_h.
  void gru_forward_h(int64_t s, std::vector<float>& h, const std::vector<float>& rh,
                     std::vector<float>& q) {
    batch_product(rh.data(), H_, r_ + 2 * H_ * H_, true, H_, q.data(), 0.0f, rb_ + 2 * H_);
    for (int64_t b = 0; b < B_; ++b) {
      if (!active(s, b)) continue;
      const int64_t row = row_at(s, b);
      float* a = &tr_.gate_in[row * GH_];
      const float* qb = &q[b * H_];
      std::copy_n(&rh[b * H_], H_, &tr_.rh_in[row * H_]);
      std::copy_n(qb, H_, &tr_.q[row * H_]);
      float* hb = &h[b * H_];
      for (int64_t j = 0; j < H_; ++j) {
        a[2 * H_ + j] += p_.linear_before_reset ? act(0, a[H_ + j]) * qb[j] : qb[j];
        const float z = act(0, a[j]);
        hb[j] = (1.0f - z) * act(1, a[2 * H_ + j]) + z * hb[j];
      }
    }
  }

  // Walks the steps back; dh and dc hold each row's dL/dH_t and dL/dC_t as they arrive from
  // later steps (and from Y_h, Y_c at the row's last step).
  void backward() {
    // GRU's h-gate gradient reaches H_{t-1} through R_h in the same product with
    // linear_before_reset (dq), through r ⊙ H without it (a product of its own first).
    const bool gru_reset_first = p_.cell == RecurrentCell::kGru && !p_.linear_before_reset;
    const int64_t rec_cols = gru_reset_first ? 2 * H_ : GH_;
    std::vector<float> dh(static_cast<size_t>(B_ * H_), 0.0f), dc(dh.size(), 0.0f),
        d_prev(dh.size()), da_h(dh.size(), 0.0f), d_rh(dh.size()),
        step_rec(static_cast<size_t>(B_ * rec_cols));
    for (int64_t b = 0; b < B_; ++b) {
      const int64_t state = p_.state_offset(d_, b);
      if (g_.dy_h) std::copy_n(g_.dy_h + state, H_, &dh[b * H_]);
      if (g_.dy_c) std::copy_n(g_.dy_c + state, H_, &dc[b * H_]);
    }
    for (int64_t s = steps_ - 1; s >= 0; --s) {
      std::fill(step_rec.begin(), step_rec.end(), 0.0f);
      std::fill(d_prev.begin(), d_prev.end(), 0.0f);
      for (int64_t b = 0; b < B_; ++b) {
        if (!active(s, b)) continue;
        const int64_t row = row_at(s, b);
        float* dhb = &dh[b * H_];
        if (g_.dy)
          for (int64_t j = 0; j < H_; ++j) dhb[j] += g_.dy[p_.y_offset(time(s, b), d_, b) + j];
        switch (p_.cell) {
          case RecurrentCell::kLstm:
            lstm_step(row, dhb, &dc[b * H_]);
            break;
          case RecurrentCell::kGru:
            gru_step(row, dhb, &d_prev[b * H_], &da_h[b * H_]);
            break;
          case RecurrentCell::kRnn: {
            const float* a = &tr_.gate_in[row * GH_];
            for (int64_t j = 0; j < H_; ++j) d_gate_[row * GH_ + j] = dhb[j] * slope(0, a[j]);
            std::copy_n(&d_gate_[row * GH_], GH_, &d_rec_[row * GH_]);
            break;
          }
        }
      }
      if (gru_reset_first) {
        batch_product(da_h.data(), H_, r_ + 2 * H_ * H_, false, H_, d_rh.data());
        for (int64_t b = 0; b < B_; ++b)
          if (active(s, b)) gru_reset(row_at(s, b), &d_rh[b * H_], &d_prev[b * H_]);
      }
      for (int64_t b = 0; b < B_; ++b)
        if (active(s, b))
          std::copy_n(&d_rec_[row_at(s, b) * GH_], rec_cols, &step_rec[b * rec_cols]);
      // dL/dH_{t-1} through R, added to what reached it directly (GRU's z ⊙ H_{t-1}, r ⊙ H).
      batch_product(step_rec.data(), rec_cols, r_, false, H_, d_prev.data(), 1.0f);
      for (int64_t b = 0; b < B_; ++b)
        if (active(s, b)) std::copy_n(&d_prev[b * H_], H_, &dh[b * H_]);
    }
    for (int64_t b = 0; b < B_; ++b) {
      const int64_t state = p_.state_offset(d_, b);
      if (g_.d_initial_h) std::copy_n(&dh[b * H_], H_, g_.d_initial_h + state);
      if (g_.d_initial_c) std::copy_n(&dc[b * H_], H_, g_.d_initial_c + state);
    }
  }

  // One LSTM step of one row; dc turns from dL/dC_t into dL/dC_{t-1}.
  void lstm_step(int64_t row, const float* dh, float* dc) {
    const float* a = &tr_.gate_in[row * GH_];
    const float* c = &tr_.c[row * H_];
    const float* c_prev = &tr_.c_prev[row * H_];
    float* da = &d_gate_[row * GH_];
    const RecurrentActivation& h_act = p_.activation(d_, 2);
    for (int64_t j = 0; j < H_; ++j) {
      const float i = act(0, a[j]), o = act(0, a[H_ + j]);
      const float f = p_.input_forget ? 1.0f - i : act(0, a[2 * H_ + j]);
      const float cand = act(1, a[3 * H_ + j]);
      da[H_ + j] = dh[j] * h_act(c[j]) * slope(0, a[H_ + j]);
      // C_t reaches the loss through H_t, C_{t+1} and o's peephole.
      const float dcell = dc[j] + dh[j] * o * h_act.derivative(c[j]) + da[H_ + j] * peep_[H_ + j];
      float d_i = dcell * cand;
      const float d_f = dcell * c_prev[j];
      if (p_.input_forget) d_i -= d_f;  // f = 1 - i
      da[j] = d_i * slope(0, a[j]);
      da[2 * H_ + j] = p_.input_forget ? 0.0f : d_f * slope(0, a[2 * H_ + j]);
      da[3 * H_ + j] = dcell * i * slope(1, a[3 * H_ + j]);
      dc[j] = dcell * f + da[j] * peep_[j] + da[2 * H_ + j] * peep_[2 * H_ + j];
      dp_[j] += da[j] * c_prev[j];
      dp_[H_ + j] += da[H_ + j] * c[j];
      dp_[2 * H_ + j] += da[2 * H_ + j] * c_prev[j];
    }
    std::copy_n(da, GH_, &d_rec_[row * GH_]);
  }

  // One GRU step of one row: z and h gates, H_{t-1}'s share through z into d_prev; with
  // linear_before_reset also r (h's input is r ⊙ q), else h's gradient goes to da_h for the
  // product with R_h that r needs.
  void gru_step(int64_t row, const float* dh, float* d_prev, float* da_h) {
    const float* a = &tr_.gate_in[row * GH_];
    const float* h_prev = &tr_.h_prev[row * H_];
    const float* q = &tr_.q[row * H_];
    float* da = &d_gate_[row * GH_];
    float* dr = &d_rec_[row * GH_];
    for (int64_t j = 0; j < H_; ++j) {
      const float z = act(0, a[j]), hh = act(1, a[2 * H_ + j]);
      da[j] = dh[j] * (h_prev[j] - hh) * slope(0, a[j]);
      da[2 * H_ + j] = dh[j] * (1.0f - z) * slope(1, a[2 * H_ + j]);
      d_prev[j] += dh[j] * z;
    }
    if (!p_.linear_before_reset) {
      std::copy_n(da + 2 * H_, H_, da_h);
      std::copy_n(da + 2 * H_, H_, dr + 2 * H_);
      return;
    }
    for (int64_t j = 0; j < H_; ++j) {
      dr[2 * H_ + j] = da[2 * H_ + j] * act(0, a[H_ + j]);
      da[H_ + j] = da[2 * H_ + j] * q[j] * slope(0, a[H_ + j]);
    }
    std::copy_n(da, 2 * H_, dr);
  }

  // GRU without linear_before_reset, once d(r ⊙ H) = da_h · R_h is known: r's gradient, and
  // H_{t-1}'s share through r ⊙ H.
  void gru_reset(int64_t row, const float* d_rh, float* d_prev) {
    const float* a = &tr_.gate_in[row * GH_];
    const float* h_prev = &tr_.h_prev[row * H_];
    float* da = &d_gate_[row * GH_];
    for (int64_t j = 0; j < H_; ++j) {
      da[H_ + j] = d_rh[j] * h_prev[j] * slope(0, a[H_ + j]);
      d_prev[j] += d_rh[j] * act(0, a[H_ + j]);
    }
    std::copy_n(da, 2 * H_, &d_rec_[row * GH_]);
  }

  // dX = dA·W, dW = dA^T·X, dR = dA_R^T·(what R multiplied), dB = column sums.
  // This direction's slices: dX (summed over directions) = dA·W, dW = dA^T·X, dR = dA_R^T·(what
  // R multiplied), dB = column sums.
  void weight_gradients() {
    const GemmEpilogue none;
    if (g_.dx && rows_ > 0)
      sgemm(false, false, rows_, I_, GH_, 1.0f, d_gate_.data(), GH_, w_, I_, d_ > 0 ? 1.0f : 0.0f,
            g_.dx, I_, none, pool_);
    if (g_.dw)
      sgemm(true, false, GH_, I_, rows_, 1.0f, d_gate_.data(), GH_, p_.x, I_, 0.0f,
            g_.dw + d_ * GH_ * I_, I_, none, pool_);
    if (g_.dr) {
      float* dr = g_.dr + d_ * GH_ * H_;
      sgemm(true, false, direct_, H_, rows_, 1.0f, d_rec_.data(), GH_, tr_.h_prev.data(), H_, 0.0f,
            dr, H_, none, pool_);
      if (p_.cell == RecurrentCell::kGru)
        sgemm(true, false, H_, H_, rows_, 1.0f, d_rec_.data() + 2 * H_, GH_, tr_.rh_in.data(), H_,
              0.0f, dr + 2 * H_ * H_, H_, none, pool_);
    }
    if (g_.dp) std::copy(dp_.begin(), dp_.end(), g_.dp + d_ * 3 * H_);
    if (g_.db) {
      float* db = g_.db + d_ * 2 * GH_;
      std::fill_n(db, 2 * GH_, 0.0f);
      for (int64_t row = 0; row < rows_; ++row)
        for (int64_t k = 0; k < GH_; ++k) {
          db[k] += d_gate_[row * GH_ + k];
          db[GH_ + k] += d_rec_[row * GH_ + k];
        }
    }
  }

  const RecurrentProblem& p_;
  const RecurrentGradients& g_;
  int d_;
  ThreadPool* pool_;
  int64_t H_, I_, GH_, B_, rows_, direct_;
  int64_t steps_ = 0;
  std::vector<float> zeros_;
  const float *w_, *r_, *wb_, *rb_, *peep_;
  Trace tr_;
  std::vector<float> d_gate_, d_rec_;  // dL/d(gate inputs), dL/d(R's products), per X row
  std::vector<float> dp_;              // dL/dP of this direction (LSTM)
};

}  // namespace

void recurrent_backward(const RecurrentProblem& p, const RecurrentGradients& g, ThreadPool* pool) {
  for (int d = 0; d < p.directions; ++d) Backprop(p, g, d, pool).run();
}

}  // namespace sinter
