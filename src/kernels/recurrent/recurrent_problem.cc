#include "kernels/recurrent/recurrent_problem.h"

namespace sinter {

int recurrent_gates(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::kLstm:
      return 4;
    case RecurrentCell::kGru:
      return 3;
    case RecurrentCell::kRnn:
      return 1;
  }
  return 1;
}

int recurrent_activations(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::kLstm:
      return 3;
    case RecurrentCell::kGru:
      return 2;
    case RecurrentCell::kRnn:
      return 1;
  }
  return 1;
}

}  // namespace sinter
