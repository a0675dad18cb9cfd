// The quantize workflow in one call, on squares saved as .npy files: post-training quantization
// records what it did next to the float model's pruning, quantization-aware fine-tuning reports
// the post-training accuracy first, and bad requests and quantized models are refused.
#include "compress/quantize_model.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compress/prune_model.h"
#include "compress_test_util.h"
#include "workflow_test_util.h"

namespace sinter {
namespace {

using test::expect_error;

class QuantizeModel : public test::SquaresOnDisk {
 protected:
  QuantizeRequest request() const {
    QuantizeRequest r;
    r.calibration_data = spec();
    r.calibration_images = 64;
    r.options.batch = 32;
    r.qat.batch = 16;
    return r;
  }
};

TEST_F(QuantizeModel, KeepsThePruningRecordAndAddsItsOwn) {
  Graph model = test::small_model("mlp");
  PruneRecord pruned;
  pruned.scheme = parse_prune_scheme("filter");
  pruned.method = "magnitude";
  pruned.sparsity = 0.5;
  pruned.weights = {"fc1.weight"};
  write_compression_record({pruned, std::nullopt}, model);

  const QuantizeResult r = quantize_model(model, request());
  EXPECT_EQ(r.model.weights.size(), 3u);
  EXPECT_FALSE(r.post_training);
  EXPECT_EQ(r.before.samples, 96);
  EXPECT_NE(r.test_data.find("test_x.npy"), std::string::npos) << r.test_data;
  EXPECT_LT(r.quantized_model_bytes, r.float_model_bytes);
  const CompressionRecord read = read_compression_record(r.model.graph);
  ASSERT_TRUE(read.prune);
  EXPECT_EQ(read.prune->weights, pruned.weights);
  ASSERT_TRUE(read.quantization);
  EXPECT_EQ(read.quantization->weights.bits, 8);
  EXPECT_EQ(read.quantization->calibration, "minmax on 64 images of " + spec());
  EXPECT_EQ(read.quantization->describe(), r.record.quantization->describe());
}

TEST_F(QuantizeModel, FineTuningReportsThePostTrainingAccuracyFirst) {
  QuantizeRequest r = request();
  r.options.weights.bits = 4;
  r.options.activations = ActivationQuantization::kNone;
  r.qat_epochs = 1;
  std::vector<std::string> events;
  QuantizeCallbacks callbacks;
  callbacks.on_post_training = [&](const Evaluation& e) {
    events.push_back("post-training");
    EXPECT_EQ(e.samples, 96);
  };
  callbacks.fine_tune.on_phase_start = [&](const std::string& phase, int64_t) {
    events.push_back(phase);
  };
  const QuantizeResult result = quantize_model(test::small_model("mlp"), r, callbacks);
  EXPECT_EQ(events, (std::vector<std::string>{"post-training", "qat"}));
  ASSERT_TRUE(result.post_training);
  EXPECT_EQ(result.record.quantization->qat_epochs, 1);
  EXPECT_TRUE(result.record.quantization->calibration.empty());  // float activations
}

TEST_F(QuantizeModel, RefusesBadRequestsAndQuantizedModels) {
  const Graph model = test::small_model("mlp");
  auto refused = [&](const QuantizeRequest& bad, const std::string& fragment) {
    expect_error([&] { quantize_model(model, bad); }, {fragment});
  };
  QuantizeRequest bits = request();
  bits.options.weights.bits = 3;
  refused(bits, "--bits must be 4 or 8, got 3");
  QuantizeRequest scale_bits = request();
  scale_bits.options.weights.scale_bits = 4;
  refused(scale_bits, "--scale-bits applies to --granularity vector:V");
  QuantizeRequest percentile = request();
  parse_calibration_method("percentile:40", percentile.options.calibration);
  refused(percentile, "--method 'percentile:40': P must be above 50 and at most 100");

  const QuantizeResult once = quantize_model(model, request());
  expect_error([&] { quantize_model(once.model.graph, request()); },
               {"the model is already quantized", "quantize its float original instead"});
}

}  // namespace
}  // namespace sinter
