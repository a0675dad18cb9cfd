// RNN (opsets 7 and 14): the recurrent machinery of recurrent_op with the RNN cell.
#include "ops/recurrent_op.h"

namespace sinter {
namespace {

OpDef make_rnn() { return make_recurrent_def("RNN", RecurrentCell::kRnn); }

}  // namespace
SINTER_REGISTER_OP(make_rnn);
}  // namespace sinter
