#pragma once
// The ranks of a distributed run and the messages between them, over MPI (MPI_COMM_WORLD, so the
// same binary runs under mpirun on one machine, with a hostfile or under Slurm). Every wait has a
// deadline: MPI's blocking calls wait forever for a dead or stopped peer, so every operation here
// is posted non-blocking and polled until it completes or the deadline passes, and then throws a
// CommError naming the operation and the peer it waited for.
//
// Ranks that disagree on what they do — another operation, another name, another size — fail at
// the first message that shows it (a desync), each with one line naming both sides. Every message
// carries a hash of its operation's name and size as its MPI tag and is received with any tag, so
// the check costs nothing until it fails; then the receiver asks the sender what it sent, and
// tells every rank. MPI's collectives carry no tag: before each, every rank sends the collective's
// description to the next rank in a ring, one empty message (see agree() in communicator.cc).
//
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
  // Starts MPI in this process (once; a process run without mpirun is a world of one rank) and
  // sets up this communicator's own channels over MPI_COMM_WORLD: every rank must construct it,
  // within timeout_s of each other. timeout_s bounds every wait.
  explicit Communicator(double timeout_s = 60.0);
  // Finalizes MPI with the last communicator, unless an operation failed (then only abort()
  // ends the run).
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The MPI_COMM_WORLD rank of each rank of this communicator (0, 1, ... for the world's own).
  // Errors name ranks by these numbers.
  const std::vector<int>& world_ranks() const { return world_ranks_; }
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
  // `what` names the operation; sender and receiver of a message must give the same name and
  // size, else both fail with a desync.
  void transfer(const std::vector<Message>& sends, const std::vector<Message>& receives,
                const std::string& what);
  void send(int to, const void* data, size_t bytes, const std::string& what) {
    transfer({{to, const_cast<void*>(data), bytes}}, {}, what);
  }
  void recv(int from, void* data, size_t bytes, const std::string& what) {
    transfer({}, {{from, data, bytes}}, what);
  }

  // MPI's own collectives (on a cluster its collective modules know the topology), under the
  // same deadline; every rank must call the same one with the same name, size and root.
  void allreduce_sum(float* data, int64_t count, const std::string& what);
  void broadcast(void* data, size_t bytes, int root, const std::string& what);
  void barrier(const std::string& what);

  // A communicator over some of this one's ranks: `ranks` lists them by their numbers here, and
  // rank i of the group is ranks[i] (rank(), size() and every peer are the group's numbers).
  // Every rank in the list must call it with the same list, and only those; a rank not in it
  // gets an InputError. The group has this communicator's timeout and failure semantics, its own
  // channels (its messages and collectives never meet this communicator's, which stays usable
  // beside it) and its own bytes_sent(); it shares the link emulator, so a rank's virtual clock
  // is one.
  std::unique_ptr<Communicator> subgroup(const std::vector<int>& ranks);

  // Bytes this rank has handed to MPI: point-to-point payloads, and for the collectives what a
  // ring algorithm would send (2 (P-1)/P of the buffer for an all-reduce).
  int64_t bytes_sent() const { return bytes_sent_; }

  // Emulates `link` from now on (link_emulator.h): every operation also advances this rank's
  // virtual clock. Every rank must call it, before any operation it is to time. A subgroup shares
  // it with the communicator it came from: either sets it for both.
  void emulate_links(const LinkModel& link, double slowdown, bool cpu_time);
  // Null without emulated links.
  LinkEmulator* emulator() { return emulator_->get(); }

  // After an error that ends the run, the ranks meet once more so that each can report before
  // the first to exit makes mpirun end the others: waits up to timeout_s for every rank to call
  // it too, then returns (it never throws). It runs on a channel of its own, so it can never
  // match a data operation another rank is still in. Afterwards only destruction or abort().
  void meet_after_error(double timeout_s);

  // Ends every rank of the run at once (MPI_Abort): for errors after which peers may be waiting.
  [[noreturn]] void abort(int code);

 private:
  struct Mpi;         // MPI handles, the operation in flight, desync notices (communicator.cc)
  struct Descriptor;  // what both sides of a message or collective must agree on
  struct Question;    // a desync's question to the sender of the unexpected message

  Communicator(const Communicator& parent, const std::vector<int>& ranks, std::unique_ptr<Mpi> mpi);

  // Marks the communicator failed and throws CommError with `message` (prefixed by the rank).
  [[noreturn]] void fail(const std::string& message);
  // An operation timed out: a roll call among the ranks finds those that do not answer, and the
  // CommError names them, or else the peer of the request `first_open` that did not complete.
  [[noreturn]] void fail_collective(const std::string& what, int first_open = -1);
  // The data receive `item` of the operation in flight got another operation's message: asks
  // its sender what that was, tells every rank, and fails.
  [[noreturn]] void desync(const std::string& what, size_t item, int their_tag,
                           int64_t their_bytes);
  // Answers peers' questions about messages this rank sent and reads news of a desync (and,
  // while `asking`, the answer). Returns the line to fail with, "" when nothing came.
  std::string serve_notices(const std::string& what, Question* asking = nullptr);
  // Before an MPI collective: every rank checks that its ring predecessor calls the same one.
  void agree(const Descriptor& d, const std::string& what);
  // Posts the messages of an operation on the data channel, tagged by their descriptors.
  void post_messages(const std::vector<Message>& messages, bool send, const std::string& what);
  // With emulated links: the latest of every rank's `time` (the start of a collective).
  double latest_over_ranks(double time, const std::string& what);
  // Fails with the MPI error unless `code`, returned by a call that posts a request, is success.
  void posted(int code, const std::string& what);
  // Waits for the requests of the operation in flight: true when all completed in time, false
  // on the deadline (*first_open: the first still open); fails on an MPI error or a desync.
  bool wait(const std::string& what, int* first_open = nullptr);
  bool poll(double seconds, const std::string& what, int* first_open);
  // The world rank of one of this communicator's ranks: errors name ranks by these numbers.
  int who(int rank) const { return world_ranks_[static_cast<size_t>(rank)]; }

  int rank_ = 0;
  int size_ = 1;
  std::vector<int> world_ranks_;
  double timeout_s_ = 60.0;
  int64_t bytes_sent_ = 0;
  bool failed_ = false;
  std::unique_ptr<Mpi> mpi_;
  // The rank's emulator, in a slot a communicator shares with its subgroups.
  std::shared_ptr<std::unique_ptr<LinkEmulator>> emulator_;
};

}  // namespace sinter
