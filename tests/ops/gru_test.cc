#include <cmath>

#include "recurrent_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// One unit, one step from a given state, worked through the spec's equations: the reset gate
// scales the state before R_h, or (linear_before_reset) R_h·H + Rb_h after.
TEST(Gru, HandWorkedStepWithAndWithoutLinearBeforeReset) {
  RecurrentCase c;
  c.cell = RecurrentCell::kGru;
  c.seq = 1, c.batch = 1, c.input = 1, c.hidden = 1, c.initial_h = true;
  std::vector<Tensor> in = c.inputs();
  in[0] = Tensor::from_vector<float>({1, 1, 1}, {1});
  in[1] = Tensor::from_vector<float>({1, 3, 1}, {0.1f, 0.2f, 0.3f});
  in[2] = Tensor::from_vector<float>({1, 3, 1}, {0.4f, 0.5f, 0.6f});
  in[3] = Tensor::from_vector<float>({1, 6}, {0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f});
  in[5] = Tensor::from_vector<float>({1, 1, 1}, {0.5f});
  const float h = 0.5f;
  const float z = sigmoid(0.1f + 0.4f * h + 0.01f + 0.04f);
  const float r = sigmoid(0.2f + 0.5f * h + 0.02f + 0.05f);
  const float reset_first = std::tanh(0.3f + 0.6f * (r * h) + 0.06f + 0.03f);
  const float linear_first = std::tanh(0.3f + 0.03f + r * (0.6f * h + 0.06f));
  for (bool linear_before_reset : {false, true}) {
    c.linear_before_reset = linear_before_reset;
    const float hh = linear_before_reset ? linear_first : reset_first;
    const float want = (1.0f - z) * hh + z * h;
    for (const char* impl : {"reference", "recurrent_gemm"}) {
      const auto out = run_recurrent(c.node(), 14, in, impl);
      expect_values(out[0], {want});
      expect_values(out[1], {want});
    }
  }
}

TEST(Gru, GemmKernelMatchesReferenceOverShapesAndOptions) {
  std::mt19937 gen(11);
  for (int trial = 0; trial < 90; ++trial)
    expect_gemm_matches_reference(random_case(RecurrentCell::kGru, trial, gen));
}

TEST(Gru, GemmKernelMatchesReferenceOnLargerLayers) {
  for (bool linear_before_reset : {false, true}) {
    RecurrentCase c;
    c.cell = RecurrentCell::kGru;
    c.seq = 9, c.batch = 5, c.input = 37, c.hidden = 41, c.direction = "bidirectional";
    c.lengths = c.initial_h = true;
    c.linear_before_reset = linear_before_reset;
    expect_gemm_matches_reference(c);
  }
}

TEST(Gru, BadInputsNameTheNode) {
  RecurrentCase c;
  c.cell = RecurrentCell::kGru;
  c.lengths = true;
  std::vector<Tensor> in = c.inputs();
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["hidden_size"] = int64_t{5};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"input 'W' has shape [1,12,3]", "expected [1,15,3]"});
  test::expect_error<ModelError>(
      [&] {
        Node n = c.node();
        n.attrs["direction"] = std::string("bidirectional");
        n.attrs["activations"] = std::vector<std::string>{"Sigmoid", "Tanh"};
        run_recurrent(n, 14, in, "recurrent_gemm");
      },
      {"'activations' lists 2 functions where 4 belong"});
  in[4] = Tensor::from_vector<int32_t>({2}, {1, 7});
  test::expect_error<InputError>([&] { run_recurrent(c.node(), 14, in, "recurrent_gemm"); },
                                 {"sequence_lens[1] = 7"});
}

}  // namespace
}  // namespace sinter::testing
