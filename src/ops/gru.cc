// GRU (opsets 7 and 14): the recurrent machinery of recurrent_op with the GRU cell.
#include "ops/recurrent_op.h"

namespace sinter {
namespace {

OpDef make_gru() { return make_recurrent_def("GRU", RecurrentCell::kGru); }

}  // namespace
SINTER_REGISTER_OP(make_gru);
}  // namespace sinter
