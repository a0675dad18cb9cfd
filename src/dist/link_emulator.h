#pragma once
// Emulated links for distributed runs on one machine: a virtual clock per rank in which compute
// takes the time it measures (times the rank's slowdown, `--slow`) and every message takes its
// link's latency plus its bytes over the link's bandwidth, queued behind the messages before it
// on the sender's outgoing and the receiver's incoming link (full duplex, one link a rank, as a
// rank behind a switch). Senders stamp each message with the virtual time it left; receivers
// finish it at that time plus its cost, so waiting for a slower rank costs virtual time too.
// The result is the time-to-accuracy the run would have on that network, next to its wall time.
//
// The thread that trains runs on its own virtual timeline, which
// advances by its measured compute between communication operations; a communication thread runs
// on another, whose operations start no earlier than the compute time they were queued at.
#include <cstdint>
#include <string>
#include <vector>

namespace sinter {

struct LinkModel {
  std::string name;
  double latency_s = 0;
  double bytes_per_s = 0;
};

// "1gbe" (50 us, 117 MB/s: 1 Gb/s less framing), "10gbe" (10 us, 1.17 GB/s), or
// "LATENCY_US:GBIT_PER_S". Throws InputError naming the spec otherwise.
LinkModel parse_link(const std::string& spec);

// "R=F[,R=F...]": rank R computes F times slower (F >= 1). Returns this rank's factor (1 when
// not named); throws InputError for a malformed list or a rank outside [0, ranks).
double parse_slowdown(const std::string& spec, int rank, int ranks);

class LinkEmulator {
 public:
  // With `cpu_time`, compute is timed by the training thread's CPU time, so ranks that share
  // cores (--oversubscribe) are timed as if each had its own; but its waits for the data loader
  // are then left out (a quarter of a one-thread LeNet-5 epoch here, nothing for VGG-small), as
  // if the loader always kept up. Else by the wall clock (a rank computing on several threads).
  LinkEmulator(LinkModel link, double slowdown, bool cpu_time);

  const LinkModel& link() const { return link_; }
  // Wall time since the emulator started: what the emulated time compares with.
  double wall_seconds() const;

  // The calling thread's virtual time. For the training thread it includes the compute since
  // its last communication operation.
  double now() const;
  // Communication operations bracket themselves with these: begin returns the start time (the
  // training thread's compute added), end sets the thread's time to the completion.
  double begin_operation();
  void end_operation(double completion);
  // The time a message of `bytes` leaves on this rank's outgoing link when sent at `start`.
  double depart(double start, int64_t bytes);
  // When a message of `bytes` that left its sender at `departed` has fully arrived here.
  double arrive(double departed, int64_t bytes);
  // Costs of MPI's collectives over P ranks, started together at `start` (the latest rank's).
  double allreduce_done(double start, int64_t bytes, int ranks) const;
  double broadcast_done(double start, int64_t bytes, int ranks) const;

  // A thread other than the training thread (the communication thread) runs on its own
  // timeline while this is alive, starting no earlier than `start` (the compute time its work was
  // queued at) and the end of its previous operations.
  class Background {
   public:
    Background(LinkEmulator& emulator, double start);
    ~Background();  // records where its timeline ended, for wait_for_background()

   private:
    LinkEmulator& emulator_;
  };
  // The training thread waits for everything background timelines did (after the threads
  // themselves were waited for).
  void wait_for_background();

 private:
  // The calling thread's compute clock: CPU time or wall time.
  double thread_seconds() const;

  LinkModel link_;
  double slowdown_ = 1;
  bool cpu_time_ = false;
  double out_free_ = 0, in_free_ = 0;  // when this rank's links are next free
  double background_end_ = 0;
  double wall_start_ = 0;  // written by background threads, read after joining them
};

}  // namespace sinter
