#pragma once
// Every operator is one OpDef: shape inference plus an ordered list of production kernel
// implementations, the most specialized first and an always-applicable one last (oneDNN style).
// Where a faster kernel exists, the plain loop it is tested against is not in that list but held
// apart as the op's `reference` oracle, which plans never choose and tests reach by name. Op files
// register themselves with SINTER_REGISTER_OP; the library is linked as objects so none is dropped.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checked_math.h"
#include "core/thread_pool.h"
#include "ir/graph.h"

namespace sinter {

// What shape inference sees for one node. `values` holds the constant value of an input when it
// is known at compile time (initializers, folded constants, shapes of static tensors), which is
// how Reshape/Slice/Pad/... learn their output shapes.
struct InferContext {
  const Node& node;
  int64_t opset;
  std::vector<ValueType> inputs;
  std::vector<const Tensor*> values;
  std::vector<ValueType> outputs;
  // Ops that can state their output value from types alone (Shape, Size) put it here.
  std::vector<std::optional<Tensor>> output_values;

  size_t num_inputs() const { return inputs.size(); }
  bool has_input(size_t i) const { return node.has_input(i); }
  const ValueType& input(size_t i) const;
  // Constant value of input i; throws UnsupportedError naming the node when it is only known at
  // run time and the op needs it to infer shapes.
  const Tensor& required_value(size_t i) const;
  const Tensor* value(size_t i) const { return i < values.size() ? values[i] : nullptr; }
  ValueType& output(size_t i);
  void set_output(size_t i, DType dtype, Shape shape);
  void set_output_value(size_t i, Tensor value);
  [[noreturn]] void fail(const std::string& what) const;
};

// What a kernel factory sees at plan time: concrete types, and the values of constant inputs
// so weights can be pre-packed once. Kernels copy what they need from it: the node and
// tensors it refers to may not outlive the factory call.
struct KernelInfo {
  const Node& node;
  int64_t opset;
  std::vector<ValueType> inputs;
  std::vector<ValueType> outputs;
  std::vector<const Tensor*> constants;
  int threads = 1;
  // Whether kernels that exploit zeros in constant weights (pruned models) may be chosen.
  bool sparse_kernels = true;
  // A tuned parameter of the chosen implementation (one of its KernelImpl::variants, e.g. the
  // convolution algorithm "winograd"); empty: the implementation decides by its heuristics.
  std::string variant = {};

  const Tensor* constant(size_t i) const { return i < constants.size() ? constants[i] : nullptr; }
};

struct KernelContext {
  std::vector<const Tensor*> inputs;  // nullptr for omitted optional inputs
  std::vector<Tensor*> outputs;       // pre-allocated with their inferred shapes
  ThreadPool* pool = nullptr;

  // Shape inference requires an op's inputs; a missing one here is a bug, and an error beats
  // reading through a null pointer.
  const Tensor& in(size_t i) const {
    SINTER_CHECK(has_in(i), "kernel input ", i, " is missing");
    return *inputs[i];
  }
  bool has_in(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  Tensor& out(size_t i) { return *outputs[i]; }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run(KernelContext& ctx) = 0;
  // The algorithm a kernel settled on at plan time (e.g. "winograd"), shown by --profile.
  virtual const char* variant() const { return nullptr; }
};

// Wraps a plain function as a kernel, for ops that need no plan-time state.
class FunctionKernel : public Kernel {
 public:
  explicit FunctionKernel(std::function<void(KernelContext&)> fn) : fn_(std::move(fn)) {}
  void run(KernelContext& ctx) override { fn_(ctx); }

 private:
  std::function<void(KernelContext&)> fn_;
};

struct KernelImpl {
  std::string name;  // shown by --profile, e.g. "conv2d_gemm_avx2"
  // Whether the heuristics choose it for the node (null: always).
  std::function<bool(const KernelInfo&)> applicable;
  std::function<std::unique_ptr<Kernel>(const KernelInfo&)> create;
  // Whether it can run the node at all, chosen or not (null: when `applicable`), with the
  // variant KernelInfo names: what a tuner and a plan file may pick, e.g. a sparse kernel below
  // the density its heuristic asks for.
  std::function<bool(const KernelInfo&)> supports = {};
  // The values KernelInfo::variant may take for it, for a tuner to try ("" is always allowed).
  std::vector<std::string> variants = {};
};

// Whether `impl` can run the node `info` describes (KernelImpl::supports, else applicable).
bool impl_supports(const KernelImpl& impl, const KernelInfo& info);

class GradientContext;

struct OpDef {
  std::string type;
  std::string domain;  // "" = ONNX default domain; "sinter" for fused ops made by passes
  int since_opset = 1;
  std::function<void(InferContext&)> infer;
  // What plans choose from: the first applicable wins (choose_kernel). An op whose only kernel is
  // the plain loop lists it here under its own name ("generic"): it is production code.
  std::vector<KernelImpl> impls;
  // The plain, obviously-right kernel the optimized ones are tested against, named "reference".
  // choose_kernel never picks it; find_kernel(def, "reference") and the op tests reach it.
  std::optional<KernelImpl> reference;
  // Output 0 is input 0's data under another shape (Reshape, Flatten, Squeeze, Identity...): the
  // executor makes it a view and runs no kernel.
  bool output_is_view_of_input0 = false;
  // Multiply-adds times two per output element for --profile and `info` (nullptr: not counted).
  std::function<double(const KernelInfo&)> flops;
  // Reverse-mode rule (ops/gradient.h): sets dL/d(input) for the inputs the context wants, from
  // dL/d(outputs). Null: the op is not differentiable in sinter (yet).
  std::function<void(GradientContext&)> gradient;
};

class OpRegistry {
 public:
  static OpRegistry& global();
  void add(OpDef def);
  const OpDef* find(const std::string& domain, const std::string& type) const;
  std::vector<const OpDef*> all() const;

 private:
  std::vector<std::unique_ptr<OpDef>> defs_;
};

// Looks up the op for a node and checks the opset; throws UnsupportedError naming op, opset and
// node when sinter cannot run it.
const OpDef& op_for(const Node& node, int64_t opset);

// First applicable implementation in `def.impls` for the node; never the reference oracle.
const KernelImpl& choose_kernel(const OpDef& def, const KernelInfo& info);

// The implementation called `name`, among `def.impls` and the reference oracle; nullptr if none.
const KernelImpl* find_kernel(const OpDef& def, const std::string& name);

// Runs `step`, work done for `node` (shape inference, kernel creation); a size that overflows in it
// is reported as a ModelError naming the node.
template <class Step>
decltype(auto) for_node(const Node& node, Step&& step) {
  try {
    return step();
  } catch (const SizeOverflowError& e) {
    throw ModelError(cat(node.describe(), ": ", e.what()));
  }
}

}  // namespace sinter

#define SINTER_CONCAT_INNER(a, b) a##b
#define SINTER_CONCAT(a, b) SINTER_CONCAT_INNER(a, b)
#define SINTER_REGISTER_OP(make_def)                                      \
  static const bool SINTER_CONCAT(sinter_op_registered_, __LINE__) = [] { \
    ::sinter::OpRegistry::global().add(make_def());                       \
    return true;                                                          \
  }()
