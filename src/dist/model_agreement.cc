#include "dist/model_agreement.h"

#include <xxhash.h>

#include <string>

#include "core/version.h"

namespace sinter {

namespace {

uint64_t fingerprint(const Trainer& trainer) {
  std::string text = cat(sinter_version(), " batch ", trainer.options().batch_size);
  for (const Parameter& p : trainer.parameters())
    text += cat(" ", p.name, " ", shape_str(p.value->shape()));
  return XXH3_64bits(text.data(), text.size());
}

}  // namespace

void agree_on_model(Communicator& comm, Trainer& trainer) {
  uint64_t mine = fingerprint(trainer), root = mine;
  comm.broadcast(&root, sizeof root, 0, "model check");
  float differs = mine != root ? 1.0f : 0.0f;
  comm.allreduce_sum(&differs, 1, "model check");
  if (differs > 0)
    throw InputError(cat("rank ", comm.rank(), ": ", static_cast<int>(differs), " of ", comm.size(),
                         " ranks run another sinter version or model than rank 0",
                         mine != root ? " (this one among them)" : ""));
  for (const Parameter& p : trainer.parameters())
    comm.broadcast(p.value->raw(), p.value->nbytes(), 0, cat("parameter '", p.name, "'"));
}

}  // namespace sinter
