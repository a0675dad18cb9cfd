#pragma once
// Helpers of the integer and quantized op tests: random 8-bit tensors, and running a node the way
// a plan does when its parameters are only known at run time.
#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

// Uniform values over the whole range of T (int8_t or uint8_t).
template <class T>
Tensor random_8bit(Shape shape, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(std::numeric_limits<T>::min(),
                                          std::numeric_limits<T>::max());
  Tensor x(dtype_of<T>(), std::move(shape));
  for (int64_t i = 0; i < x.numel(); ++i) x.data<T>()[i] = static_cast<T>(dist(rng));
  return x;
}

// Shape inference sees the inputs' types only (as for values fed or computed at run time), then
// the op's first applicable kernel runs on the values: the path where the kernel, not inference,
// must check them.
inline std::vector<Tensor> run_values_unknown(const Node& n, int64_t opset,
                                              const std::vector<Tensor>& inputs) {
  std::vector<ValueType> types;
  std::vector<const Tensor*> given;
  for (size_t i = 0; i < inputs.size(); ++i) {
    given.push_back(n.has_input(i) ? &inputs[i] : nullptr);
    types.push_back(given.back() ? ValueType{inputs[i].dtype(), inputs[i].shape(), true}
                                 : ValueType{});
  }
  const std::vector<ValueType> out_types = infer(n, opset, types);
  const OpDef& def = op_for(n, opset);
  KernelInfo ki{n, opset, types, out_types, std::vector<const Tensor*>(inputs.size()), 1};
  auto kernel = choose_kernel(def, ki).create(ki);
  std::vector<Tensor> outputs;
  for (const ValueType& t : out_types) outputs.emplace_back(t.dtype, t.shape);
  KernelContext ctx;
  ctx.inputs = given;
  for (Tensor& o : outputs) ctx.outputs.push_back(&o);
  kernel->run(ctx);
  return outputs;
}

}  // namespace sinter::test
