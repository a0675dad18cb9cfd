#include "runtime/plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/checked_math.h"
#include "core/error.h"
#include "core/memory_limit.h"
#include "core/quoted.h"
#include "runtime/concat_in_place.h"
#include "runtime/split_in_place.h"

namespace sinter {

namespace {
// "nan at element 12 of [4, 8]", or "" when every element is finite.
std::string describe_nonfinite(const Tensor& t) {
  const int64_t i = find_nonfinite(t);
  if (i < 0) return "";
  const double v = t.dtype() == DType::kFloat32 ? t.data<float>()[i] : t.data<double>()[i];
  return cat(std::isnan(v) ? "nan"
             : v > 0       ? "inf"
                           : "-inf",
             " at element ", i, " of ", shape_str(t.shape()));
}

int64_t slot_bytes(const Slot& slot) {
  return checked_bytes(shape_numel(slot.type.shape),
                       static_cast<int64_t>(dtype_size(slot.type.dtype)));
}

// The recipe's implementation for the node when it names one (refused when it cannot run the
// node), with its variant set in `info`; else the first applicable one.
const KernelImpl& chosen_kernel(const OpDef& def, KernelInfo& info, const PlanRecipe* recipe,
                                size_t node) {
  std::optional<KernelChoice> choice;
  if (recipe && recipe->choice) choice = recipe->choice(node, info);
  if (!choice) return choose_kernel(def, info);
  const KernelImpl* impl = find_kernel(def, choice->impl);
  info.variant = choice->variant;
  const bool variant_known =
      choice->variant.empty() ||
      (impl && std::count(impl->variants.begin(), impl->variants.end(), choice->variant) > 0);
  if (!impl || choice->impl == "reference" || !variant_known || !impl_supports(*impl, info))
    throw ModelError(cat(
        info.node.describe(), ": the plan names kernel ",
        quoted_text(choice->variant.empty() ? choice->impl : choice->impl + "/" + choice->variant),
        ", which this sinter cannot run for the node"));
  return *impl;
}

int root_of(const std::vector<Slot>& slots, int s) {
  while (slots[s].kind == SlotKind::kView) s = slots[s].view_of;
  return s;
}
}  // namespace

void Plan::bind_views() {
  for (Slot& slot : slots_) {
    if (slot.kind != SlotKind::kView) continue;
    size_t offset = 0;
    int s = static_cast<int>(&slot - slots_.data());
    for (; slots_[s].kind == SlotKind::kView; s = slots_[s].view_of)
      offset += slots_[s].view_offset;
    // Views are only read through, or written by the producer of an in-place Concat part.
    auto* base = static_cast<std::byte*>(const_cast<void*>(slots_[s].tensor.raw()));
    slot.tensor = Tensor::view(slot.type.dtype, slot.type.shape, base + offset);
  }
}

int Plan::slot_of(const std::string& value) const {
  auto it = slot_index_.find(value);
  SINTER_CHECK(it != slot_index_.end(), "value '", value, "' has no slot");
  return it->second;
}

Plan::Plan(const Graph& g, int threads, bool sparse_kernels, const PlanRecipe* recipe) {
  if (recipe && recipe->schedule && !recipe->schedule->empty()) {
    check_schedule(*recipe->schedule, g, threads);
    schedule_ = *recipe->schedule;
  }
  // The threads each node's kernel is built for: its group's, or all of them.
  std::vector<int> node_threads(g.nodes.size(), threads);
  for (const ScheduleStage& stage : schedule_.stages) {
    std::vector<int> sizes;
    for (const ScheduleGroup& group : stage.groups) {
      sizes.push_back(group.threads);
      for (int step : group.steps) node_threads[step] = group.threads;
    }
    stage_threads_.push_back(std::move(sizes));
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) all_steps_.push_back(static_cast<int>(i));
  // Kernel factories get pointers to constant slots, so slots_ must never reallocate.
  size_t value_count = g.inputs.size() + g.initializers.size();
  for (const Node& node : g.nodes) value_count += node.outputs.size();
  slots_.reserve(value_count);
  auto add_slot = [&](const std::string& name, SlotKind kind) {
    const ValueType* t = g.type_of(name);
    if (!t || !t->has_shape || !shape_is_static(t->shape))
      throw UnsupportedError(cat("the shape of value '", name,
                                 "' depends on input data; sinter needs it at compile time"));
    Slot slot;
    slot.name = name;
    slot.type = *t;
    slot.kind = kind;
    slot_index_[name] = static_cast<int>(slots_.size());
    slots_.push_back(std::move(slot));
    return static_cast<int>(slots_.size()) - 1;
  };
  for (const auto& in : g.inputs) input_slots_.push_back(add_slot(in, SlotKind::kGraphInput));
  for (const auto& [name, t] : g.initializers) {
    Slot slot;
    slot.name = name;
    slot.type = {t.dtype(), t.shape(), true};
    slot.kind = SlotKind::kConstant;
    slot.tensor = t;
    slots_.push_back(std::move(slot));
    slot_index_[name] = static_cast<int>(slots_.size()) - 1;
  }
  std::unordered_map<std::string, int> output_uses;
  for (const auto& o : g.outputs) output_uses[o]++;

  // (slot, step) uses; folded onto root slots once every view is known, since an in-place
  // Concat turns its already-placed inputs into views of its output.
  std::vector<std::pair<int, int>> uses;
  auto touch = [&](int slot, int step) { uses.emplace_back(slot, step); };
  const ConcatInPlace concat_in_place = plan_concat_in_place(g);
  const auto split_in_place = plan_split_in_place(g, concat_in_place);

  for (const Node& node : g.nodes) {
    const OpDef& def = op_for(node, g.opset);
    int step_index = static_cast<int>(steps_.size());
    KernelInfo info{node, g.opset, {}, {}, {}, node_threads[step_index], sparse_kernels};
    PlanStep step;
    step.node_name = node.name;
    step.op_type = node.op_type;
    step.output_names = node.outputs;
    step.context.inputs.assign(node.inputs.size(), nullptr);
    for (const auto& in : node.inputs) {
      if (in.empty()) {
        info.inputs.push_back({});
        info.constants.push_back(nullptr);
        continue;
      }
      int s = slot_of(in);
      info.inputs.push_back(slots_[s].type);
      info.constants.push_back(slots_[s].kind == SlotKind::kConstant ? &slots_[s].tensor : nullptr);
      touch(s, step_index);
    }
    bool view = def.output_is_view_of_input0 && !node.inputs.empty() && !node.inputs[0].empty();
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const std::string& out = node.outputs[i];
      if (out.empty()) {
        info.outputs.push_back({});
        continue;
      }
      SlotKind kind = (view && i == 0)         ? SlotKind::kView
                      : output_uses.count(out) ? SlotKind::kGraphOutput
                                               : SlotKind::kArena;
      const auto split_part = split_in_place.find(out);
      if (split_part != split_in_place.end()) kind = SlotKind::kView;
      int s = add_slot(out, kind);
      if (split_part != split_in_place.end()) {
        slots_[s].view_of = slot_of(split_part->second.split_input);
        slots_[s].view_offset = split_part->second.byte_offset;
      } else if (kind == SlotKind::kView) {
        slots_[s].view_of = slot_of(node.inputs[0]);
      }
      info.outputs.push_back(slots_[s].type);
      touch(s, step_index);
    }
    const bool in_place = concat_in_place.concat_outputs.count(node.outputs[0]) > 0;
    if (in_place) {
      const int out = slot_of(node.outputs[0]);
      for (const auto& in : node.inputs) {
        Slot& part = slots_[slot_of(in)];
        part.kind = SlotKind::kView;
        part.view_of = out;
        part.view_offset = concat_in_place.parts.at(in).byte_offset;
      }
    }
    if (view) {
      step.kernel_name = "view";
    } else if (in_place) {
      step.kernel_name = "in place";
    } else {
      const KernelImpl& impl = chosen_kernel(def, info, recipe, static_cast<size_t>(step_index));
      kernels::PrepackedScope prepacked(recipe && recipe->prepacked
                                            ? recipe->prepacked(static_cast<size_t>(step_index))
                                            : nullptr);
      step.kernel = for_node(node, [&] { return impl.create(info); });
      step.impl_name = impl.name;
      step.variant = info.variant;
      const char* variant = step.kernel->variant();
      step.kernel_name = variant ? impl.name + "/" + variant : impl.name;
    }
    if (def.flops) step.flops = def.flops(info);
    steps_.push_back(std::move(step));
  }
  // A graph output is read after the last step.
  for (const auto& o : g.outputs) {
    int s = slot_of(o);
    touch(s, static_cast<int>(steps_.size()));
    output_slots_.push_back(s);
  }
  // Lifetimes on the schedule's time line: a step of a stage that runs groups side by side may
  // run at any time of the stage.
  std::vector<std::pair<int, int>> ticks = step_ticks(schedule_, steps_.size());
  int end = 0;
  for (const auto& t : ticks) end = std::max(end, t.second + 1);
  ticks.emplace_back(end, end);  // graph outputs are read after the last step
  std::vector<int> first_step(slots_.size(), -1), last_step(slots_.size(), -1);
  for (auto [slot, step] : uses) {
    int root = root_of(slots_, slot);
    const auto [from, to] = ticks[static_cast<size_t>(step)];
    first_step[root] = first_step[root] < 0 ? from : std::min(first_step[root], from);
    last_step[root] = std::max(last_step[root], to);
  }

  std::vector<BufferLifetime> buffers;
  std::vector<int> buffer_slot;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].kind != SlotKind::kArena) continue;
    int first = first_step[s] < 0 ? 0 : first_step[s];
    int last = last_step[s] < 0 ? first : last_step[s];
    buffers.push_back(
        {static_cast<size_t>(slot_bytes(slots_[s])), std::max(first, 0), std::max(last, first)});
    buffer_slot.push_back(static_cast<int>(s));
  }
  memory_ = plan_memory(buffers);
  peak_live_bytes_ = sinter::peak_live_bytes(buffers);
  check_memory_needs();
  arena_ = Tensor(DType::kUint8, {static_cast<int64_t>(memory_.arena_bytes)});
  auto* base = static_cast<std::byte*>(arena_.raw());
  for (size_t b = 0; b < buffers.size(); ++b) {
    Slot& slot = slots_[buffer_slot[b]];
    slot.offset = memory_.offsets[b];
    slot.tensor = Tensor::view(slot.type.dtype, slot.type.shape, base + slot.offset);
  }

  // Wire each step's context to slot tensors; slots_ no longer grows, so pointers stay valid.
  size_t k = 0;
  for (const Node& node : g.nodes) {
    PlanStep& step = steps_[k++];
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (!node.inputs[i].empty()) step.context.inputs[i] = &slots_[slot_of(node.inputs[i])].tensor;
    step.outputs_empty = true;
    for (const auto& out : node.outputs) {
      Slot* slot = out.empty() ? nullptr : &slots_[slot_of(out)];
      step.context.outputs.push_back(slot ? &slot->tensor : nullptr);
      // From the type: graph outputs get their tensors only when the plan runs.
      step.outputs_empty = step.outputs_empty && (!slot || shape_numel(slot->type.shape) == 0);
    }
  }
}

void Plan::check_memory_needs() const {
  int64_t needed = static_cast<int64_t>(memory_.arena_bytes);
  const Slot* largest = nullptr;
  for (const Slot& slot : slots_) {
    if (slot.kind != SlotKind::kGraphOutput && slot.kind != SlotKind::kArena) continue;
    if (slot.kind == SlotKind::kGraphOutput) needed = checked_add(needed, slot_bytes(slot));
    if (!largest || slot_bytes(slot) > slot_bytes(*largest)) largest = &slot;
  }
  if (!largest || needed <= memory_limit() - memory_in_use()) return;
  check_memory_available(
      needed, cat("running the model (largest value '", largest->name, "', ",
                  dtype_name(largest->type.dtype), " ", shape_str(largest->type.shape), ")"));
}

std::vector<size_t> Plan::output_ready_order() {
  SINTER_CHECK(schedule_.empty(), "output_ready_order: the plan has a schedule");
  if (outputs_ready_after_.empty()) find_output_steps();
  std::vector<size_t> order;
  for (const std::vector<size_t>& ready : outputs_ready_after_)
    order.insert(order.end(), ready.begin(), ready.end());
  return order;
}

void Plan::find_output_steps() {
  outputs_ready_after_.assign(steps_.size() + 1, {});
  std::unordered_map<const Tensor*, int> slot_of;
  for (size_t j = 0; j < slots_.size(); ++j) slot_of[&slots_[j].tensor] = static_cast<int>(j);
  for (size_t k = 0; k < output_slots_.size(); ++k) {
    // An output may be a view (a training step's gradients are Identity views of the values the
    // backward pass computed): it is ready once the last step writing its root's bytes has run.
    const int root = root_of(slots_, output_slots_[k]);
    size_t writer = steps_.size();
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (!steps_[i].kernel) continue;
      for (const Tensor* out : steps_[i].context.outputs) {
        const auto it = slot_of.find(out);
        if (it != slot_of.end() && root_of(slots_, it->second) == root) writer = i;
      }
    }
    outputs_ready_after_[writer].push_back(k);
  }
}

std::vector<Tensor> Plan::run(const std::unordered_map<std::string, Tensor>& inputs,
                              ThreadPool& pool, bool profile, bool check_finite,
                              const OutputReady* on_output_ready) {
  if (on_output_ready && outputs_ready_after_.empty()) find_output_steps();
  on_output_ready_ = on_output_ready;
  for (int s : input_slots_) {
    auto it = inputs.find(slots_[s].name);
    SINTER_CHECK(it != inputs.end(), "missing input '", slots_[s].name, "'");
    slots_[s].tensor = it->second;
    if (check_finite)
      if (std::string bad = describe_nonfinite(it->second); !bad.empty())
        throw NumericError(cat("input '", slots_[s].name, "' holds ", bad));
  }
  for (Slot& slot : slots_)
    if (slot.kind == SlotKind::kGraphOutput) slot.tensor = Tensor(slot.type.dtype, slot.type.shape);
  bind_views();

  if (schedule_.empty()) run_steps(all_steps_, pool, profile, check_finite);
  for (size_t s = 0; s < schedule_.stages.size(); ++s) {
    const ScheduleStage& stage = schedule_.stages[s];
    if (stage.groups.size() == 1 && stage.groups[0].threads == pool.num_threads()) {
      run_steps(stage.groups[0].steps, pool, profile, check_finite);
      continue;
    }
    pool.run_groups(stage_threads_[s], [&](int group, ThreadPool& team) {
      run_steps(stage.groups[static_cast<size_t>(group)].steps, team, profile, check_finite);
    });
  }

  if (on_output_ready_) {
    for (size_t k : outputs_ready_after_.back())
      (*on_output_ready_)(k, slots_[static_cast<size_t>(output_slots_[k])].tensor);
    on_output_ready_ = nullptr;
  }
  std::vector<Tensor> outputs;
  std::vector<int> returned;
  for (int s : output_slots_) {
    const Slot& slot = slots_[s];
    bool owned = slot.kind == SlotKind::kGraphOutput &&
                 std::find(returned.begin(), returned.end(), s) == returned.end();
    outputs.push_back(owned ? slot.tensor : slot.tensor.clone());
    returned.push_back(s);
  }
  return outputs;
}

void Plan::run_steps(const std::vector<int>& steps, ThreadPool& pool, bool profile,
                     bool check_finite) {
  for (int index : steps) {
    PlanStep& step = steps_[static_cast<size_t>(index)];
    if (!step.kernel) continue;
    // A step with empty outputs has nothing to compute, but what it writes is still ready.
    if (!step.outputs_empty) run_step(step, pool, profile, check_finite);
    if (on_output_ready_)
      for (size_t k : outputs_ready_after_[static_cast<size_t>(index)])
        (*on_output_ready_)(k, slots_[static_cast<size_t>(output_slots_[k])].tensor);
  }
}

void Plan::run_step(PlanStep& step, ThreadPool& pool, bool profile, bool check_finite) {
  step.context.pool = &pool;
  if (profile) {
    auto t0 = std::chrono::steady_clock::now();
    step.kernel->run(step.context);
    auto t1 = std::chrono::steady_clock::now();
    step.profile.total_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    step.profile.runs++;
  } else {
    step.kernel->run(step.context);
  }
  if (check_finite)
    for (size_t i = 0; i < step.context.outputs.size(); ++i) {
      const Tensor* out = step.context.outputs[i];
      if (std::string bad = out ? describe_nonfinite(*out) : ""; !bad.empty())
        throw NumericError(cat("'", step.output_names[i], "' from node '", step.node_name, "' (",
                               step.op_type, ") holds ", bad));
    }
}

std::vector<size_t> Plan::arena_offsets() const {
  std::vector<size_t> offsets;
  for (const Slot& slot : slots_)
    if (slot.kind == SlotKind::kArena) offsets.push_back(slot.offset);
  return offsets;
}

void Plan::reset_profile() {
  for (auto& s : steps_) s.profile = {};
}

double Plan::total_flops() const {
  double f = 0;
  for (const auto& s : steps_) f += s.flops;
  return f;
}

}  // namespace sinter
