// The registry's split between production kernels and the reference oracle: plans choose only
// from `impls`, whose last kernel is always applicable, and find_kernel reaches both by name.
#include "ops/op_registry.h"

#include <gtest/gtest.h>

#include <string>

namespace sinter {
namespace {

TEST(OpRegistry, TheReferenceIsAnOracleOutsideTheChoiceList) {
  for (const OpDef* def : OpRegistry::global().all()) {
    SCOPED_TRACE(def->type);
    for (const KernelImpl& impl : def->impls) {
      EXPECT_NE(impl.name, "reference");
      EXPECT_EQ(find_kernel(*def, impl.name), &impl);
    }
    // The last kernel takes every case the op's shape inference lets through, so an unusual case
    // is slow but runs, without the oracle.
    ASSERT_FALSE(def->impls.empty());
    EXPECT_FALSE(def->impls.back().applicable) << def->impls.back().name;
    if (def->reference) {
      EXPECT_EQ(find_kernel(*def, "reference"), &*def->reference);
    } else {
      EXPECT_EQ(find_kernel(*def, "reference"), nullptr);
    }
    EXPECT_EQ(find_kernel(*def, "no such kernel"), nullptr);
  }
}

TEST(OpRegistry, OptimizedOpsKeepTheirOracle) {
  for (const char* type :
       {"Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Softmax", "LogSoftmax", "Add", "Mul", "Relu", "Transpose", "ReduceSum", "QuantizeLinear",
        "DequantizeLinear", "InstanceNormalization", "GroupNormalization", "LayerNormalization"}) {
    const OpDef* def = OpRegistry::global().find("", type);
    ASSERT_NE(def, nullptr) << type;
    EXPECT_TRUE(def->reference) << type;
  }
}

TEST(OpRegistry, PlainOnlyOpsNameTheirKernelGeneric) {
  for (const char* type : {"Cast", "Concat", "Gather", "Where", "PRelu"}) {
    const OpDef* def = OpRegistry::global().find("", type);
    ASSERT_NE(def, nullptr) << type;
    EXPECT_FALSE(def->reference) << type;
    ASSERT_EQ(def->impls.size(), 1u) << type;
    EXPECT_EQ(def->impls[0].name, "generic") << type;
  }
}

}  // namespace
}  // namespace sinter
