#pragma once
// The ranks of a distributed run and the messages between them, over MPI (MPI_COMM_WORLD, so the
// same binary runs under mpirun on one machine, with a hostfile or under Slurm). Every wait has a
// deadline: MPI's blocking calls wait forever for a dead or stopped peer, so every operation here
// is posted non-blocking and polled until it completes or the deadline passes, and then throws a
// CommError naming the operation and the peer it waited for.
// One thread at a time may use a Communicator (MPI_THREAD_SERIALIZED).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "dist/link_emulator.h"

namespace sinter {

// A peer did not answer in time, or the ranks disagree (a desync). After it the run cannot go
// on: pending messages stay posted, so the caller reports it and calls Communicator::abort().
class CommError : public Error {
 public:
  using Error::Error;
};

class Communicator {
 public:
  // Starts MPI in this process (once; a process run without mpirun is a world of one rank).
  // timeout_s bounds every wait.
  explicit Communicator(double timeout_s = 60.0);
  // Finalizes MPI, unless an operation failed (then only abort() ends the run).
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  double timeout() const { return timeout_s_; }
  void set_timeout(double seconds);

  // One message: to or from `peer`, `bytes` at `data` (read for a send, written for a receive).
  struct Message {
    int peer = -1;
    void* data = nullptr;
    size_t bytes = 0;
  };
  // Posts every send and receive at once and waits for all (a ring step is one send and one
  // receive; a scatter, many). Messages between two ranks arrive in the order they were posted.
  // `what` names the operation in errors.
  void transfer(const std::vector<Message>& sends, const std::vector<Message>& receives,
                const std::string& what);
  void send(int to, const void* data, size_t bytes, const std::string& what) {
    transfer({{to, const_cast<void*>(data), bytes}}, {}, what);
  }
  void recv(int from, void* data, size_t bytes, const std::string& what) {
    transfer({}, {{from, data, bytes}}, what);
  }

  // MPI's own collectives (on a cluster its collective modules know the topology), under the
  // same deadline.
  void allreduce_sum(float* data, int64_t count, const std::string& what);
  void broadcast(void* data, size_t bytes, int root, const std::string& what);
  void barrier(const std::string& what);

  // Bytes this rank has handed to MPI: point-to-point payloads, and for the collectives what a
  // ring algorithm would send (2 (P-1)/P of the buffer for an all-reduce).
  int64_t bytes_sent() const { return bytes_sent_; }

  // Emulates `link` from now on (link_emulator.h): every operation also advances this rank's
  // virtual clock. Every rank must call it, before any operation it is to time.
  void emulate_links(const LinkModel& link, double slowdown, bool cpu_time);
  // Null without emulated links.
  LinkEmulator* emulator() { return emulator_.get(); }

  // Ends every rank of the run at once (MPI_Abort): for errors after which peers may be waiting.
  [[noreturn]] void abort(int code);

 private:
  // Marks the communicator failed and throws CommError with `message` (prefixed by the rank).
  [[noreturn]] void fail(const std::string& message);
  // An operation timed out: a roll call among the ranks finds those that do not answer, and the
  // CommError names them (or says `if_all_answer` when every rank answers).
  [[noreturn]] void fail_collective(const std::string& what, const std::string& if_all_answer = "");
  // With emulated links: the latest of every rank's `time` (the start of a collective).
  double latest_over_ranks(double time, const std::string& what);
  // Waits for the MPI requests posted by an operation (see communicator.cc): true when all
  // completed in time, false on the deadline; fails on an MPI error.
  template <class Requests>
  bool wait(Requests& requests, const std::string& what, int* first_open = nullptr);

  int rank_ = 0;
  int size_ = 1;
  double timeout_s_ = 60.0;
  int64_t bytes_sent_ = 0;
  bool failed_ = false;
  std::unique_ptr<LinkEmulator> emulator_;
};

}  // namespace sinter
