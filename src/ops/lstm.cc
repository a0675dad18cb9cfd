// LSTM (opsets 7 and 14): the recurrent machinery of recurrent_op with the LSTM cell.
#include "ops/recurrent_op.h"

namespace sinter {
namespace {

OpDef make_lstm() { return make_recurrent_def("LSTM", RecurrentCell::kLstm); }

}  // namespace
SINTER_REGISTER_OP(make_lstm);
}  // namespace sinter
