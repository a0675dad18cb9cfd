// The prune workflow in one call, on squares saved as .npy files: ADMM and one-shot pruning reach
// the requested sparsity, the file's record says what was done, progress reaches the callbacks in
// order, and option combinations that do not apply are refused before any data is read.
#include "compress/prune_model.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compress/masked_training.h"
#include "compress_test_util.h"
#include "workflow_test_util.h"

namespace sinter {
namespace {

using test::expect_error;

class PruneModel : public test::SquaresOnDisk {
 protected:
  PruneRequest request(double sparsity) const {
    PruneRequest r;
    r.sparsity = sparsity;
    r.admm_epochs = 1;
    r.retrain_epochs = 1;
    r.training.batch = 16;
    r.training.lr = 0.05f;
    r.data = spec();
    return r;
  }
};

TEST_F(PruneModel, AdmmReachesTheSparsityAndRecordsIt) {
  std::vector<std::string> events;
  PruneCallbacks callbacks;
  callbacks.on_start = [&](const PruneStart& s) {
    events.push_back("start");
    EXPECT_EQ(s.train_images, 192);
    EXPECT_EQ(s.test_images, 96);
    EXPECT_EQ(s.pruned_tensors, 2u);  // fc1 and fc2; the classifier stays dense
  };
  callbacks.on_dense = [&](const Evaluation&) { events.push_back("dense"); };
  callbacks.on_pruned = [&](const Evaluation&, double sparsity) {
    events.push_back("pruned");
    EXPECT_NEAR(sparsity, 0.75, 1e-3);
  };
  callbacks.fine_tune.on_phase_start = [&](const std::string& phase, int64_t epochs) {
    events.push_back(phase);
    EXPECT_EQ(epochs, 1);
  };
  callbacks.fine_tune.on_epoch = [&](const std::string& phase, const EpochSummary&, int64_t,
                                     const std::string& status) {
    if (phase == "admm") {
      EXPECT_NE(status.find("distance to the set"), std::string::npos) << status;
    }
    events.push_back(phase + " epoch");
  };
  const Graph dense = test::small_model("mlp");
  const PruneResult r = prune_model(dense, request(0.75), callbacks);

  EXPECT_EQ(events, (std::vector<std::string>{"start", "dense", "admm", "admm epoch", "pruned",
                                              "retrain", "retrain epoch"}));
  EXPECT_NEAR(r.storage.prunable_sparsity(), 0.75, 1e-3);
  EXPECT_LT(r.storage.csr_bytes, r.storage.dense_bytes);
  EXPECT_EQ(r.retrained.samples, 96);
  const CompressionRecord read = read_compression_record(r.model);
  ASSERT_TRUE(read.prune);
  EXPECT_FALSE(read.quantization);
  EXPECT_EQ(scheme_name(read.prune->scheme), "unstructured");
  EXPECT_EQ(read.prune->method, "admm");
  EXPECT_EQ(read.prune->weights, r.record.prune->weights);
  EXPECT_NEAR(read.prune->sparsity, r.storage.prunable_sparsity(), 1e-6);
}

TEST_F(PruneModel, MagnitudeWithoutRetrainingEndsAtThePrunedModel) {
  PruneRequest r = request(0.5);
  r.method = PruneMethod::kMagnitude;
  r.admm_epochs.reset();
  r.retrain_epochs = 0;
  r.bits = 4;
  const PrunePlan plan(test::small_model("mlp"), parse_prune_scheme("unstructured"));
  const PruneResult result = prune_model(test::small_model("mlp"), r);
  EXPECT_EQ(result.retrained.accuracy, result.pruned.accuracy);
  EXPECT_NEAR(target_sparsity(result.model, plan), 0.5, 1e-3);
  EXPECT_EQ(read_compression_record(result.model).prune->bits, 4);
}

TEST_F(PruneModel, RefusesWhatDoesNotApplyBeforeReadingData) {
  PruneRequest r = request(0.5);
  r.data = "npy:no_such_images.npy,no_such_labels.npy";
  auto refused = [&](PruneRequest bad, const std::string& fragment) {
    expect_error([&] { prune_model(test::small_model("mlp"), bad); }, {fragment});
  };
  PruneRequest patterns = r;
  patterns.patterns = 4;
  refused(patterns, "--patterns and --connectivity apply to --scheme pattern, not unstructured");
  PruneRequest no_sparsity = r;
  no_sparsity.sparsity.reset();
  refused(no_sparsity, "--scheme unstructured needs --sparsity");
  PruneRequest gradual_nm = r;
  gradual_nm.scheme = "nm:2:4";
  gradual_nm.sparsity.reset();
  gradual_nm.method = PruneMethod::kGradual;
  refused(gradual_nm, "--scheme nm:2:4 fixes its own");
  PruneRequest rho = r;
  rho.method = PruneMethod::kGradual;
  rho.rho = 0.1f;
  refused(rho, "--rho, --rho-factor and --rho-max apply to --method admm");
  PruneRequest bits = r;
  bits.bits = 3;
  refused(bits, "--bits must be 4 or 8 (or 0: float survivors), got 3");
  PruneRequest sparsity = r;
  sparsity.sparsity = 1.0;
  refused(sparsity, "sparsity must be in [0, 1)");
  expect_error([] { parse_prune_method("fast"); },
               {"--method 'fast' is not one of admm, magnitude, gradual"});
  // A valid request reaches the data, which then fails.
  expect_error([&] { prune_model(test::small_model("mlp"), r); }, {"no_such_images.npy"});
}

}  // namespace
}  // namespace sinter
