#include <cmath>

#include "recurrent_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

RecurrentCase lstm_case() {
  RecurrentCase c;
  c.cell = RecurrentCell::kLstm;
  return c;
}

// One unit, one input, two steps, worked through the spec's equations.
TEST(Lstm, HandWorkedTwoSteps) {
  Node n = lstm_case().node();
  n.attrs["hidden_size"] = int64_t{1};
  n.inputs.resize(3);
  const Tensor x = Tensor::from_vector<float>({2, 1, 1}, {1, 2});
  const Tensor w = Tensor::from_vector<float>({1, 4, 1}, {0.1f, 0.2f, 0.3f, 0.4f});
  const Tensor r = Tensor::from_vector<float>({1, 4, 1}, {0.5f, 0.6f, 0.7f, 0.8f});
  const auto out = evaluate_node(n, 14, {&x, &w, &r});
  // Gates i, o, f, c; step 1 starts from zero state.
  const float c1 = sigmoid(0.1f) * std::tanh(0.4f);
  const float h1 = sigmoid(0.2f) * std::tanh(c1);
  const float i2 = sigmoid(0.2f + 0.5f * h1), o2 = sigmoid(0.4f + 0.6f * h1);
  const float f2 = sigmoid(0.6f + 0.7f * h1), g2 = std::tanh(0.8f + 0.8f * h1);
  const float c2 = f2 * c1 + i2 * g2, h2 = o2 * std::tanh(c2);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(shape_str(out[0].shape()), "[2,1,1,1]");
  expect_values(out[0], {h1, h2});
  expect_values(out[1], {h2});
  expect_values(out[2], {c2});
}

// Peepholes and input_forget on one step from a given state: i and f see C_{t-1}, o sees C_t.
TEST(Lstm, HandWorkedPeepholesAndInputForget) {
  RecurrentCase c = lstm_case();
  c.seq = 1, c.batch = 1, c.input = 1, c.hidden = 1;
  c.bias = false, c.initial_h = true, c.initial_c = true, c.peepholes = true;
  c.input_forget = true;
  std::vector<Tensor> in = c.inputs();
  in[0] = Tensor::from_vector<float>({1, 1, 1}, {1});
  in[1] = Tensor::from_vector<float>({1, 4, 1}, {0.1f, 0.2f, 0.3f, 0.4f});
  in[2] = Tensor::from_vector<float>({1, 4, 1}, {0.5f, 0.6f, 0.7f, 0.8f});
  in[5] = Tensor::from_vector<float>({1, 1, 1}, {0.5f});
  in[6] = Tensor::from_vector<float>({1, 1, 1}, {2.0f});
  in[7] = Tensor::from_vector<float>({1, 3}, {0.25f, -0.5f, 9.0f});  // i, o, f (f unused)
  const float i = sigmoid(0.1f + 0.25f + 0.25f * 2.0f);
  const float cell = (1.0f - i) * 2.0f + i * std::tanh(0.4f + 0.4f);
  const float o = sigmoid(0.2f + 0.3f - 0.5f * cell);
  for (const char* impl : {"reference", "recurrent_gemm"}) {
    const auto out = run_recurrent(c.node(), 14, in, impl);
    expect_values(out[1], {o * std::tanh(cell)});
    expect_values(out[2], {cell});
  }
}

// Y is zero past each row's length; Y_h is Y at the row's last step (forward: its length - 1,
// reverse: 0), the state of each direction separately.
TEST(Lstm, SequenceLengthsEndEachRowOnItsLastValidStep) {
  RecurrentCase c = lstm_case();
  c.seq = 4, c.batch = 3, c.direction = "bidirectional", c.initial_h = c.initial_c = true;
  std::vector<Tensor> in = c.inputs();
  in[4] = Tensor::from_vector<int32_t>({3}, {4, 2, 0});
  c.lengths = true;
  const auto out = run_recurrent(c.node(), 14, in, "recurrent_gemm");
  const float* y = out[0].data<float>();
  const float* y_h = out[1].data<float>();
  const float* h0 = in[5].data<float>();
  const int64_t H = c.hidden, B = c.batch;
  const int lengths[] = {4, 2, 0};
  for (int64_t d = 0; d < 2; ++d) {
    for (int64_t b = 0; b < B; ++b) {
      const int len = lengths[b];
      for (int64_t t = len; t < c.seq; ++t)
        for (int64_t j = 0; j < H; ++j) EXPECT_EQ(y[((t * 2 + d) * B + b) * H + j], 0.0f);
      for (int64_t j = 0; j < H; ++j) {
        const float last = len == 0 ? h0[(d * B + b) * H + j]
                                    : y[(((d == 0 ? len - 1 : 0) * 2 + d) * B + b) * H + j];
        EXPECT_EQ(y_h[(d * B + b) * H + j], last) << "direction " << d << " row " << b;
      }
    }
  }
}

// No input features: the gates see the state and the biases alone.
TEST(Lstm, GemmKernelMatchesReferenceWithoutInputFeatures) {
  RecurrentCase c = lstm_case();
  c.input = 0, c.initial_h = c.initial_c = true;
  expect_gemm_matches_reference(c);
}

// An empty sequence runs no step: Y is empty and the final states are the initial ones.
TEST(Lstm, EmptySequenceKeepsTheInitialState) {
  RecurrentCase c = lstm_case();
  c.seq = 0, c.initial_h = c.initial_c = true, c.direction = "bidirectional";
  const std::vector<Tensor> in = c.inputs();
  for (const char* impl : {"reference", "recurrent_gemm"}) {
    const auto out = run_recurrent(c.node(), 14, in, impl);
    EXPECT_EQ(shape_str(out[0].shape()), "[0,2,2,4]");
    expect_close(out[1], in[5], 0);
    expect_close(out[2], in[6], 0);
  }
}

TEST(Lstm, GemmKernelMatchesReferenceOverShapesAndOptions) {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 90; ++trial)
    expect_gemm_matches_reference(random_case(RecurrentCell::kLstm, trial, gen));
}

// Sizes past the GEMM's register tiles and the batch past one row.
TEST(Lstm, GemmKernelMatchesReferenceOnLargerLayers) {
  for (const char* direction : {"forward", "bidirectional"}) {
    RecurrentCase c = lstm_case();
    c.seq = 9, c.batch = 5, c.input = 37, c.hidden = 41, c.direction = direction;
    c.lengths = c.initial_h = c.initial_c = c.peepholes = true;
    expect_gemm_matches_reference(c);
  }
}

TEST(Lstm, LayoutOneIsTheBatchFirstTranspose) {
  RecurrentCase c = lstm_case();
  c.direction = "bidirectional", c.initial_h = c.initial_c = true, c.seq = 3, c.batch = 2;
  const std::vector<Tensor> in0 = c.inputs();
  const auto out0 = run_recurrent(c.node(), 14, in0, "recurrent_gemm");
  RecurrentCase c1 = c;
  c1.layout = 1;
  std::vector<Tensor> in1 = in0;
  // X [seq, batch, in] → [batch, seq, in]; states [dirs, batch, H] → [batch, dirs, H].
  const auto swap01 = [](const Tensor& t) {
    const Shape& s = t.shape();
    Tensor u(DType::kFloat32, {s[1], s[0], s[2]});
    for (int64_t a = 0; a < s[0]; ++a)
      for (int64_t b = 0; b < s[1]; ++b)
        for (int64_t k = 0; k < s[2]; ++k)
          u.data<float>()[(b * s[0] + a) * s[2] + k] = t.data<float>()[(a * s[1] + b) * s[2] + k];
    return u;
  };
  in1[0] = swap01(in0[0]);
  in1[5] = swap01(in0[5]);
  in1[6] = swap01(in0[6]);
  const auto out1 = run_recurrent(c1.node(), 14, in1, "recurrent_gemm");
  expect_close(out1[1], swap01(out0[1]), 1e-6);
  expect_close(out1[2], swap01(out0[2]), 1e-6);
  // Y [seq, dirs, batch, H] → [batch, seq, dirs, H].
  const float* y0 = out0[0].data<float>();
  const float* y1 = out1[0].data<float>();
  const int64_t H = c.hidden;
  for (int64_t t = 0; t < c.seq; ++t)
    for (int64_t d = 0; d < 2; ++d)
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t j = 0; j < H; ++j)
          EXPECT_FLOAT_EQ(y1[((b * c.seq + t) * 2 + d) * H + j],
                          y0[((t * 2 + d) * c.batch + b) * H + j]);
}

TEST(Lstm, BadAttributesAndShapesNameTheNode) {
  RecurrentCase c = lstm_case();
  const std::vector<Tensor> in = c.inputs();
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["hidden_size"] = int64_t{3};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"input 'W' has shape [1,16,3]", "expected [1,12,3]", "hidden_size 3"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["direction"] = std::string("sideways");
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"direction 'sideways'"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["activations"] = std::vector<std::string>{"Sigmoid", "Tanh"};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"'activations' lists 2 functions where 3 belong"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["activations"] = std::vector<std::string>{"Sigmoid", "Tanh", "Swish"};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"activation 'Swish'"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["layout"] = int64_t{2};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"layout"});
}

TEST(Lstm, SequenceLengthsOutsideTheSequenceNameTheNode) {
  RecurrentCase c = lstm_case();
  c.lengths = true;
  std::vector<Tensor> in = c.inputs();
  for (const auto& lengths : {std::vector<int32_t>{3, 4}, std::vector<int32_t>{-1, 2}}) {
    in[4] = Tensor::from_vector<int32_t>({2}, lengths);
    for (const char* impl : {"reference", "recurrent_gemm"})
      test::expect_error<InputError>([&] { run_recurrent(c.node(), 14, in, impl); },
                                     {"sequence_lens[", "outside [0, 3]"});
  }
}

}  // namespace
}  // namespace sinter::testing
