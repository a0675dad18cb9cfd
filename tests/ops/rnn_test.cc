#include <cmath>

#include "recurrent_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

RecurrentCase rnn_case() {
  RecurrentCase c;
  c.cell = RecurrentCell::kRnn;
  return c;
}

// One unit over two steps, forward and reverse: H_t = tanh(x_t·W + H_{t-1}·R + Wb + Rb).
TEST(Rnn, HandWorkedBothDirections) {
  RecurrentCase c = rnn_case();
  c.seq = 2, c.batch = 1, c.input = 1, c.hidden = 1, c.direction = "bidirectional";
  std::vector<Tensor> in = c.inputs();
  in[0] = Tensor::from_vector<float>({2, 1, 1}, {1, 2});
  in[1] = Tensor::from_vector<float>({2, 1, 1}, {0.5f, -0.5f});
  in[2] = Tensor::from_vector<float>({2, 1, 1}, {0.25f, 0.75f});
  in[3] = Tensor::from_vector<float>({2, 2}, {0.1f, 0.2f, -0.1f, 0.3f});
  const float f1 = std::tanh(0.5f + 0.3f), f2 = std::tanh(1.0f + 0.25f * f1 + 0.3f);
  const float r2 = std::tanh(-1.0f + 0.2f), r1 = std::tanh(-0.5f + 0.75f * r2 + 0.2f);
  for (const char* impl : {"reference", "recurrent_gemm"}) {
    const auto out = run_recurrent(c.node(), 14, in, impl);
    // Y [seq, dirs, batch, hidden]: step 0 forward, step 0 reverse, step 1 forward, ...
    expect_values(out[0], {f1, r1, f2, r2});
    expect_values(out[1], {f2, r1});
  }
}

// Each activation applied as its ONNX operator defines it, alpha and beta taken in order by the
// functions that use them.
TEST(Rnn, ActivationsTakeTheirAlphaAndBetaInOrder) {
  struct Expect {
    const char* name;
    std::vector<float> alpha, beta;
    float (*f)(float);
  };
  const Expect cases[] = {
      {"Relu", {}, {}, [](float x) { return std::max(x, 0.0f); }},
      {"LeakyRelu", {0.5f}, {}, [](float x) { return x >= 0 ? x : 0.5f * x; }},
      {"LeakyRelu", {}, {}, [](float x) { return x >= 0 ? x : 0.01f * x; }},
      {"ThresholdedRelu", {0.3f}, {}, [](float x) { return x > 0.3f ? x : 0.0f; }},
      {"HardSigmoid",
       {0.3f},
       {0.4f},
       [](float x) { return std::clamp(0.3f * x + 0.4f, 0.f, 1.f); }},
      {"ScaledTanh", {2.0f}, {0.5f}, [](float x) { return 2.0f * std::tanh(0.5f * x); }},
      {"Affine", {3.0f}, {-1.0f}, [](float x) { return 3.0f * x - 1.0f; }},
      {"Elu", {0.7f}, {}, [](float x) { return x >= 0 ? x : 0.7f * (std::exp(x) - 1.0f); }},
      {"Softsign", {}, {}, [](float x) { return x / (1.0f + std::fabs(x)); }},
      {"Softplus", {}, {}, [](float x) { return std::log1p(std::exp(x)); }},
      {"Sigmoid", {}, {}, [](float x) { return 1.0f / (1.0f + std::exp(-x)); }},
  };
  RecurrentCase c = rnn_case();
  c.seq = 1, c.batch = 4, c.input = 1, c.hidden = 1, c.bias = false;
  std::vector<Tensor> in = c.inputs();
  in[0] = Tensor::from_vector<float>({1, 4, 1}, {-2.0f, -0.2f, 0.2f, 2.0f});
  in[1] = Tensor::from_vector<float>({1, 1, 1}, {1.0f});
  for (const Expect& e : cases) {
    c.activations = {e.name};
    c.alphas = e.alpha;
    c.betas = e.beta;
    for (const char* impl : {"reference", "recurrent_gemm"}) {
      SCOPED_TRACE(::testing::Message() << e.name << " " << impl);
      const auto out = run_recurrent(c.node(), 14, in, impl);
      expect_values(out[0], {e.f(-2.0f), e.f(-0.2f), e.f(0.2f), e.f(2.0f)});
    }
  }
}

// Clip bounds the activation's input.
TEST(Rnn, ClipBoundsTheGateInput) {
  RecurrentCase c = rnn_case();
  c.seq = 1, c.batch = 2, c.input = 1, c.hidden = 1, c.bias = false, c.clip = 0.5f;
  c.activations = {"Affine"};
  std::vector<Tensor> in = c.inputs();
  in[0] = Tensor::from_vector<float>({1, 2, 1}, {-3.0f, 0.25f});
  in[1] = Tensor::from_vector<float>({1, 1, 1}, {1.0f});
  for (const char* impl : {"reference", "recurrent_gemm"})
    expect_values(run_recurrent(c.node(), 14, in, impl)[0], {-0.5f, 0.25f});
}

TEST(Rnn, GemmKernelMatchesReferenceOverShapesAndOptions) {
  std::mt19937 gen(13);
  for (int trial = 0; trial < 90; ++trial)
    expect_gemm_matches_reference(random_case(RecurrentCell::kRnn, trial, gen));
}

TEST(Rnn, OpsetSevenIgnoresLayoutAndRunsTheDefaultOutputs) {
  RecurrentCase c = rnn_case();
  const std::vector<Tensor> in = c.inputs();
  Node n = c.node();
  const auto out = evaluate_node(n, 7, {&in[0], &in[1], &in[2], &in[3]});
  EXPECT_EQ(shape_str(out[0].shape()), "[3,1,2,4]");
  EXPECT_EQ(shape_str(out[1].shape()), "[1,2,4]");
}

TEST(Rnn, BadInputsNameTheNode) {
  RecurrentCase c = rnn_case();
  const std::vector<Tensor> in = c.inputs();
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["hidden_size"] = int64_t{2};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"input 'W' has shape [1,4,3]", "expected [1,2,3]"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["direction"] = std::string("Forward ");
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"direction 'Forward '"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["hidden_size"] = int64_t{-4};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"hidden_size"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs.erase("hidden_size");
        std::vector<Tensor> empty = in;
        empty[1] = Tensor(DType::kFloat32, {1, 0, 3});
        empty[2] = Tensor(DType::kFloat32, {1, 0, 0});
        empty[3] = Tensor(DType::kFloat32, {1, 0});
        run_recurrent(n, 14, empty, "recurrent_gemm");
      },
      {"hidden_size 0"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["activations"] = std::vector<std::string>{"Tanh", "Tanh"};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"'activations' lists 2 functions where 1 belong"});
}

}  // namespace
}  // namespace sinter::testing
