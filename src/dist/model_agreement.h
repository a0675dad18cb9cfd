#pragma once
// Before a distributed run trains: every rank must run the same sinter version on the same
// model, and start from the same parameters.
#include "dist/communicator.h"
#include "train/trainer.h"

namespace sinter {

// Checks that every rank's trainer has the same parameters (names, shapes), batch and sinter
// version as rank 0's — a one-line InputError on every rank if not — then copies rank 0's
// parameter values to every rank.
void agree_on_model(Communicator& comm, Trainer& trainer);

}  // namespace sinter
