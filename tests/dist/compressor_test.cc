// What every gradient compressor promises (src/dist/compressor.h), checked on every spec as
// several MPI ranks: the same bits on every rank, residuals carried exactly, the bytes it
// reports, a checkpoint's state resuming the same step, and one-line errors for bad specs.
#include "dist/compressor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>

#include "dist/accordion.h"
#include "dist/qsgd_compressor.h"
#include "dist/ring_allreduce.h"
#include "dist/sign_compressor.h"
#include "dist/topk_compressor.h"
#include "gradient_set.h"
#include "world.h"

namespace sinter {
namespace {

const std::vector<std::string> kSpecs = {"topk:0.05",  "randomk:0.05",   "dgc:0.01",
                                         "sidco:0.05", "powersgd:2",     "qsgd:4",
                                         "sign",       "accordion:topk", "accordion:powersgd"};

bool power_of_two(int p) { return (p & (p - 1)) == 0; }

TEST(Compressors, GiveEveryRankTheSameBits) {
  Communicator& world = test_world();
  for (const std::string& spec : kSpecs) {
    auto c = make_compressor(spec, 11);
    GradientSet g = small_model();
    for (int64_t step = 0; step < 3; ++step) {
      g.fill(world.rank(), step);
      auto views = g.views();
      c->reduce(world, views, step);
      for (const auto& v : g.values) {
        std::vector<float> root = v;
        world.broadcast(root.data(), root.size() * sizeof(float), 0, "test broadcast");
        ASSERT_TRUE(same_bits(root, v)) << spec << " step " << step;
      }
    }
  }
}

// Gradient + old residual = sent + new residual. Only one rank's gradients are nonzero at a
// time, so the average is that rank's sent values over P, and P times it gives them back exactly
// when P is a power of two (a product by a power of two only moves the exponent): then the new
// residual must be the float subtraction (gradient + old residual) - sent, bit for bit. The
// sparsifiers send a value whole or not at all, so there one of the two terms is zero and
// nothing is rounded; the quantizers and PowerSGD round that one subtraction. DGC's
// accumulation is v + (m u + g).
TEST(Compressors, CarryResidualsExactly) {
  Communicator& world = test_world();
  const int p = world.size();
  for (const std::string& spec : kSpecs) {
    for (int active = 0; active < p; ++active) {
      auto c = make_compressor(spec, 5);
      GradientSet g = small_model();
      const bool dgc = spec.rfind("dgc", 0) == 0;
      const std::string kind = dgc ? "accumulation/" : "residual/";
      for (int64_t step = 0; step < 3; ++step) {
        g.fill(world.rank(), step, world.rank() == active);
        std::vector<std::vector<float>> accumulated;
        for (size_t t = 0; t < g.names.size(); ++t) {
          std::vector<float> acc = g.values[t];
          const std::vector<float> old = state_values(*c, kind + g.names[t]);
          const std::vector<float> velocity = state_values(*c, "velocity/" + g.names[t]);
          for (size_t i = 0; i < acc.size() && !old.empty(); ++i)
            acc[i] = dgc ? old[i] + (0.9f * velocity[i] + acc[i]) : acc[i] + old[i];
          accumulated.push_back(acc);
        }
        auto views = g.views();
        c->reduce(world, views, step);
        for (size_t t = 0; t < g.names.size(); ++t) {
          const std::vector<float> residual = state_values(*c, kind + g.names[t]);
          ASSERT_EQ(residual.size(), g.values[t].size()) << spec;
          if (world.rank() != active) {
            for (float r : residual) ASSERT_EQ(r, 0.0f) << spec << " " << g.names[t];
            continue;
          }
          std::vector<float> expected(residual.size());
          for (size_t i = 0; i < expected.size(); ++i)
            expected[i] = accumulated[t][i] - static_cast<float>(p) * g.values[t][i];
          if (power_of_two(p)) {
            ASSERT_TRUE(same_bits(expected, residual))
                << spec << " step " << step << " " << g.names[t] << " rank " << active;
          } else {
            for (size_t i = 0; i < expected.size(); ++i)
              ASSERT_NEAR(expected[i], residual[i], 1e-5f * (1 + std::fabs(accumulated[t][i])))
                  << spec;
          }
        }
      }
    }
  }
}

// Bytes of sinter's ring all-reduce in rank order on `n` floats: rank r sends every chunk but
// its own to its owner, then every chunk but its successor's round the ring.
int64_t ring_allreduce_bytes(int64_t n, int p, int r) {
  auto chunk = [&](int c) { return chunk_begin(n, p, c + 1) - chunk_begin(n, p, c); };
  return 4 * (2 * n - chunk(r) - chunk((r + 1) % p));
}

TEST(Compressors, CountTheBytesTheySend) {
  Communicator& world = test_world();
  const int p = world.size(), r = world.rank(), successor = (r + 1) % p;
  for (const std::string& spec : kSpecs) {
    auto c = make_compressor(spec, 3);
    GradientSet g = small_model();
    g.fill(r, 0);
    auto views = g.views();
    const int64_t before = world.bytes_sent();
    c->reduce(world, views, 0);
    EXPECT_EQ(c->last_bytes_sent(), world.bytes_sent() - before) << spec;
    int64_t expected = 0;
    if (spec == "topk:0.05" || spec == "dgc:0.01" || spec == "sidco:0.05" ||
        spec == "accordion:topk") {
      // Sizes (8 bytes each) of P - 1 ranks, then the packing of every rank's entries but the
      // successor's: 6 bytes an entry here, every index within 65534 of the one before (the
      // model has 3 000 values and a few hundred are sent).
      std::vector<float> counts(static_cast<size_t>(p), 0.0f);
      counts[static_cast<size_t>(r)] =
          static_cast<float>(std::llround(c->last_density() * static_cast<double>(g.total())));
      world.allreduce_sum(counts.data(), p, "test counts");
      expected = 8 * (p - 1);
      for (int q = 0; q < p; ++q)
        if (q != successor) expected += 6 * std::llround(counts[static_cast<size_t>(q)]);
      if (spec == "topk:0.05") {
        int64_t k = 0;
        for (const auto& v : g.values) k += values_to_send(0.05, static_cast<int64_t>(v.size()));
        EXPECT_EQ(std::llround(c->last_density() * static_cast<double>(g.total())), k);
      }
    } else if (spec == "randomk:0.05") {
      int64_t k = 0;
      for (const auto& v : g.values) k += values_to_send(0.05, static_cast<int64_t>(v.size()));
      expected = ring_allreduce_bytes(k, p, r);
    } else if (spec == "powersgd:2" || spec == "accordion:powersgd") {
      // Rank 2 (Accordion starts at its low compression, rank 4): the conv weight is 8 x 27,
      // the fc weight 10 x 300; the biases go dense with the left factors.
      const int64_t rank = spec == "powersgd:2" ? 2 : 4;
      const int64_t left = 8 * rank + 8 + 10 * rank + 10, right = 27 * rank + 300 * rank;
      expected = ring_allreduce_bytes(left, p, r) + ring_allreduce_bytes(right, p, r);
      EXPECT_DOUBLE_EQ(c->last_density(),
                       static_cast<double>(left + right) / static_cast<double>(g.total()))
          << spec;
    } else if (spec == "qsgd:4") {
      for (const auto& v : g.values)
        expected += QsgdCompressor::payload_bytes(static_cast<int64_t>(v.size()), 4);
      EXPECT_EQ(QsgdCompressor::payload_bytes(3000, 4), 6 * 4 + 3000 * 4 / 8);  // 6 buckets
      expected *= p - 1;
    } else if (spec == "sign") {
      for (const auto& v : g.values)
        expected += SignCompressor::payload_bytes(static_cast<int64_t>(v.size()));
      EXPECT_EQ(SignCompressor::payload_bytes(3000), 4 + 375);
      expected *= p - 1;
    }
    EXPECT_EQ(c->last_bytes_sent(), expected) << spec << " on rank " << r;
  }
}

// Checkpoints: a compressor that loads another's state makes the same next step, bit for bit.
TEST(Compressors, StateRoundTripGivesTheSameNextStep) {
  Communicator& world = test_world();
  std::vector<std::pair<std::string, std::function<std::unique_ptr<Compressor>()>>> makers;
  for (const std::string& spec : kSpecs)
    makers.emplace_back(spec, [spec] { return make_compressor(spec, 9); });
  // Accordion with decisions inside the run, so its controller state matters.
  for (AccordionBase base : {AccordionBase::kTopK, AccordionBase::kPowerSgd}) {
    AccordionOptions options;
    options.base = base;
    options.interval_steps = 2;
    makers.emplace_back("accordion every 2 steps", [options] {
      return std::make_unique<AccordionCompressor>("accordion", options, 9);
    });
  }
  for (const auto& [what, make] : makers) {
    auto a = make();
    GradientSet g = small_model();
    for (int64_t step = 0; step < 5; ++step) {
      g.fill(world.rank(), step);
      auto views = g.views();
      a->reduce(world, views, step);
    }
    auto b = make();
    b->load_state(a->state());
    GradientSet ga = small_model(), gb = small_model();
    ga.fill(world.rank(), 5);
    gb.fill(world.rank(), 5);
    auto va = ga.views(), vb = gb.views();
    a->reduce(world, va, 5);
    b->reduce(world, vb, 5);
    for (size_t t = 0; t < ga.values.size(); ++t)
      ASSERT_TRUE(same_bits(ga.values[t], gb.values[t])) << what << " " << ga.names[t];
    const auto sa = a->state(), sb = b->state();
    ASSERT_EQ(sa.size(), sb.size()) << what;
    for (size_t i = 0; i < sa.size(); ++i) {
      EXPECT_EQ(sa[i].first, sb[i].first) << what;
      ASSERT_EQ(sa[i].second.nbytes(), sb[i].second.nbytes()) << what << " " << sa[i].first;
      EXPECT_EQ(0, std::memcmp(sa[i].second.raw(), sb[i].second.raw(), sa[i].second.nbytes()))
          << what << " " << sa[i].first;
    }
  }
}

TEST(Compressors, RefuseAnotherModelsState) {
  Communicator& world = test_world();
  auto a = make_compressor("topk:0.1", 1);
  GradientSet g = small_model();
  g.fill(world.rank(), 0);
  auto views = g.views();
  a->reduce(world, views, 0);
  auto b = make_compressor("topk:0.1", 1);
  b->load_state(a->state());
  GradientSet other;
  other.add("conv.weight", {4, 3});
  auto other_views = other.views();
  // Refused before any message, on every rank alike.
  EXPECT_THROW(b->reduce(world, other_views, 1), InputError);
}

TEST(MakeCompressor, NamesEverySpecItMakes) {
  for (const std::string& spec : kSpecs) EXPECT_EQ(make_compressor(spec, 0)->name(), spec);
}

TEST(MakeCompressor, RefusesBadSpecsInOneLine) {
  for (const std::string spec :
       {"topk:0",         "topk:1.5",   "topk:-0.1", "topk:abc",   "topk:",
        "topk",           "dgc:nan",    "sidco:0",   "randomk:2",  "powersgd:0",
        "powersgd:1.5",   "powersgd:x", "qsgd:0",    "qsgd:70000", "sign:3",
        "accordion:qsgd", "accordion",  "gzip:1",    "",           "topk:0.01:5"}) {
    try {
      make_compressor(spec, 0);
      ADD_FAILURE() << "accepted '" << spec << "'";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("'" + spec + "'"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace sinter
