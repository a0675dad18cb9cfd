#include "dist/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <thread>

namespace sinter {

namespace {

using Clock = std::chrono::steady_clock;

// MPI counts are ints: longer messages go in pieces.
constexpr size_t kPieceBytes = size_t{1} << 30;

// Messages of the roll call that names the ranks a timed-out collective waited for.
constexpr int kRollCallTag = 1;
// The emulated departure time that goes before each message when links are emulated.
constexpr int kStampTag = 2;
// How long a roll call waits for answers: the other live ranks time out on the same collective
// within about a step of each other.
constexpr double kRollCallSeconds = 5.0;

int communicators_alive = 0;
bool this_process_started_mpi = false;

// Polls `requests` (completed ones become MPI_REQUEST_NULL) until all are done; returns -1, or on
// the deadline the index of the first one still open. It sleeps between polls after a short
// spin, so ranks that share cores (--oversubscribe) leave them to the ranks that compute.
// An MPI error (returned, not fatal: see the constructor) is a CommError too.
int wait_until(std::vector<MPI_Request>& requests, Clock::time_point deadline) {
  std::vector<int> done(requests.size());
  for (int polls = 0;; ++polls) {
    int count = 0;
    const int code = MPI_Testsome(static_cast<int>(requests.size()), requests.data(), &count,
                                  done.data(), MPI_STATUSES_IGNORE);
    if (code != MPI_SUCCESS) {
      char text[MPI_MAX_ERROR_STRING];
      int length = 0;
      MPI_Error_string(code, text, &length);
      throw CommError(cat("MPI: ", std::string(text, static_cast<size_t>(length))));
    }
    const auto open = std::find_if(requests.begin(), requests.end(),
                                   [](MPI_Request r) { return r != MPI_REQUEST_NULL; });
    if (open == requests.end()) return -1;
    if (Clock::now() > deadline) return static_cast<int>(open - requests.begin());
    // MPI moves a large message a fragment per poll, so polls never sleep (with sleeps of up
    // to 1 ms a 1 MiB all-reduce took 0.85 ms instead of 0.15); after a short spin each poll
    // yields the core to ranks that compute beside it (--oversubscribe).
    if (polls > 200) std::this_thread::yield();
  }
}

Clock::time_point deadline_after(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", s);
  return text;
}

}  // namespace

Communicator::Communicator(double timeout_s) {
  set_timeout(timeout_s);
  int started = 0;
  MPI_Initialized(&started);
  if (!started) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    this_process_started_mpi = true;
  }
  ++communicators_alive;
  // A lost peer becomes an error code that this class turns into a CommError naming it, instead
  // of MPI's default of ending the process with its own message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Communicator::~Communicator() {
  // With messages still posted after a failure MPI_Finalize could wait forever.
  if (--communicators_alive == 0 && this_process_started_mpi && !failed_) MPI_Finalize();
}

void Communicator::set_timeout(double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds))
    throw InputError(
        cat("the communication timeout must be a positive number of seconds, got ", seconds));
  timeout_s_ = seconds;
}

void Communicator::fail(const std::string& message) {
  failed_ = true;
  throw CommError(cat("rank ", rank_, ": ", message));
}

template <class Requests>
bool Communicator::wait(Requests& requests, const std::string& what, int* first_open) {
  int open = -1;
  try {
    // A warning at half the timeout, so a stuck peer shows before the run ends.
    open = wait_until(requests, deadline_after(timeout_s_ / 2));
    if (open >= 0) {
      std::fprintf(stderr, "sinter: warning: rank %d: %s has waited %s for another rank\n", rank_,
                   what.c_str(), seconds(timeout_s_ / 2).c_str());
      open = wait_until(requests, deadline_after(timeout_s_ / 2));
    }
  } catch (const CommError& e) {
    fail(cat(what, ": ", e.what()));
  }
  if (first_open) *first_open = open;
  return open < 0;
}

void Communicator::fail_collective(const std::string& what, const std::string& if_all_answer) {
  failed_ = true;
  // Every live rank sends a byte to every other; whoever sends none is gone or stuck.
  const char byte = 1;
  std::vector<char> answers(static_cast<size_t>(size_));
  std::vector<MPI_Request> requests;
  std::vector<int> peers;
  for (int q = 0; q < size_; ++q) {
    if (q == rank_) continue;
    requests.push_back(MPI_REQUEST_NULL);
    MPI_Irecv(&answers[static_cast<size_t>(q)], 1, MPI_BYTE, q, kRollCallTag, MPI_COMM_WORLD,
              &requests.back());
    peers.push_back(q);
  }
  const size_t receives = requests.size();
  for (int q : peers) {
    requests.push_back(MPI_REQUEST_NULL);
    MPI_Isend(&byte, 1, MPI_BYTE, q, kRollCallTag, MPI_COMM_WORLD, &requests.back());
  }
  std::string missing;
  try {
    wait_until(requests, deadline_after(std::min(timeout_s_, kRollCallSeconds)));
    for (size_t i = 0; i < receives; ++i)
      if (requests[i] != MPI_REQUEST_NULL) missing += cat(missing.empty() ? "" : ", ", peers[i]);
  } catch (const CommError&) {
    missing.clear();  // the roll call itself failed: say what is known
  }
  if (missing.empty())
    fail(!if_all_answer.empty() ? if_all_answer
                                : cat(what, " did not complete within ", seconds(timeout_s_),
                                      " (a rank is dead, stopped or desynchronized)"));
  fail(cat(what, ": no answer from rank ", missing, " within ", seconds(timeout_s_),
           " (dead or stopped)"));
}

void Communicator::transfer(const std::vector<Message>& sends, const std::vector<Message>& receives,
                            const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  std::vector<MPI_Request> requests;
  std::vector<int> peers;
  std::vector<bool> is_send;
  // With emulated links each message is preceded by the time it leaves its sender's link.
  const double start = emulator_ ? emulator_->begin_operation() : 0;
  double done = start;
  std::vector<double> sent_stamps(sends.size()), received_stamps(receives.size());
  if (emulator_) {
    for (size_t i = 0; i < receives.size(); ++i) {
      requests.push_back(MPI_REQUEST_NULL);
      MPI_Irecv(&received_stamps[i], 1, MPI_DOUBLE, receives[i].peer, kStampTag, MPI_COMM_WORLD,
                &requests.back());
      peers.push_back(receives[i].peer);
      is_send.push_back(false);
    }
    for (size_t i = 0; i < sends.size(); ++i) {
      sent_stamps[i] = emulator_->depart(start, static_cast<int64_t>(sends[i].bytes));
      done = std::max(done, sent_stamps[i] + static_cast<double>(sends[i].bytes) /
                                                 emulator_->link().bytes_per_s);
      requests.push_back(MPI_REQUEST_NULL);
      MPI_Isend(&sent_stamps[i], 1, MPI_DOUBLE, sends[i].peer, kStampTag, MPI_COMM_WORLD,
                &requests.back());
      peers.push_back(sends[i].peer);
      is_send.push_back(true);
    }
  }
  auto post = [&](const Message& m, bool send) {
    if (m.peer < 0 || m.peer >= size_)
      fail(cat(what, ": there is no rank ", m.peer, " among ", size_));
    auto* bytes = static_cast<char*>(m.data);
    for (size_t at = 0; at < m.bytes || (at == 0 && m.bytes == 0); at += kPieceBytes) {
      const int n = static_cast<int>(std::min(kPieceBytes, m.bytes - at));
      requests.push_back(MPI_REQUEST_NULL);
      if (send) {
        MPI_Isend(bytes + at, n, MPI_BYTE, m.peer, 0, MPI_COMM_WORLD, &requests.back());
      } else {
        MPI_Irecv(bytes + at, n, MPI_BYTE, m.peer, 0, MPI_COMM_WORLD, &requests.back());
      }
      peers.push_back(m.peer);
      is_send.push_back(send);
      if (m.bytes == 0) break;
    }
    if (send) bytes_sent_ += static_cast<int64_t>(m.bytes);
  };
  // Receives first, so a message finds its buffer posted.
  for (const Message& m : receives) post(m, false);
  for (const Message& m : sends) post(m, true);
  int open = -1;
  if (wait(requests, what, &open)) {
    if (!emulator_) return;
    // The incoming link takes the messages in the order they left.
    std::vector<size_t> order(receives.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return received_stamps[a] < received_stamps[b]; });
    for (size_t i : order)
      done = std::max(
          done, emulator_->arrive(received_stamps[i], static_cast<int64_t>(receives[i].bytes)));
    emulator_->end_operation(done);
    return;
  }
  // The peer may itself be waiting on the rank that is gone (in a ring, everyone waits on a
  // neighbour): the roll call finds that one; if every rank answers, the peer is named.
  fail_collective(what, is_send[open]
                            ? cat(what, ": rank ", peers[open], " took no message within ",
                                  seconds(timeout_s_), " (desynchronized?)")
                            : cat(what, ": no message from rank ", peers[open], " within ",
                                  seconds(timeout_s_), " (desynchronized?)"));
}

void Communicator::allreduce_sum(float* data, int64_t count, const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  // The clock starts before the wait, so time spent waiting for the others is not compute.
  const double start = emulator_ ? emulator_->begin_operation() : 0;
  std::vector<MPI_Request> requests;
  constexpr int64_t kPiece = std::numeric_limits<int>::max() / 2;
  for (int64_t at = 0; at < count; at += kPiece) {
    requests.push_back(MPI_REQUEST_NULL);
    MPI_Iallreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kPiece, count - at)),
                   MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &requests.back());
  }
  bytes_sent_ += 2 * (size_ - 1) * count * static_cast<int64_t>(sizeof(float)) / size_;
  if (!wait(requests, what)) fail_collective(what);
  if (emulator_) {
    const double latest = latest_over_ranks(start, what);
    emulator_->end_operation(
        emulator_->allreduce_done(latest, count * static_cast<int64_t>(sizeof(float)), size_));
  }
}

void Communicator::broadcast(void* data, size_t bytes, int root, const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  if (root < 0 || root >= size_) fail(cat(what, ": there is no rank ", root, " among ", size_));
  const double start = emulator_ ? emulator_->begin_operation() : 0;
  std::vector<MPI_Request> requests;
  auto* p = static_cast<char*>(data);
  for (size_t at = 0; at < bytes; at += kPieceBytes) {
    requests.push_back(MPI_REQUEST_NULL);
    MPI_Ibcast(p + at, static_cast<int>(std::min(kPieceBytes, bytes - at)), MPI_BYTE, root,
               MPI_COMM_WORLD, &requests.back());
  }
  if (rank_ == root) bytes_sent_ += static_cast<int64_t>(bytes);
  if (!wait(requests, what)) fail_collective(what);
  if (emulator_) {
    const double latest = latest_over_ranks(start, what);
    emulator_->end_operation(emulator_->broadcast_done(latest, static_cast<int64_t>(bytes), size_));
  }
}

void Communicator::barrier(const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  // The clock starts before the wait, so time spent waiting for the others is not compute.
  const double start = emulator_ ? emulator_->begin_operation() : 0;
  std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
  MPI_Ibarrier(MPI_COMM_WORLD, &requests[0]);
  if (!wait(requests, what)) fail_collective(what);
  if (emulator_) {
    const double latest = latest_over_ranks(start, what);
    emulator_->end_operation(emulator_->broadcast_done(latest, 0, size_));
  }
}

void Communicator::emulate_links(const LinkModel& link, double slowdown, bool cpu_time) {
  emulator_ = std::make_unique<LinkEmulator>(link, slowdown, cpu_time);
}

double Communicator::latest_over_ranks(double time, const std::string& what) {
  std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
  MPI_Iallreduce(MPI_IN_PLACE, &time, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD, &requests[0]);
  if (!wait(requests, what)) fail_collective(what);
  return time;
}

void Communicator::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace sinter
