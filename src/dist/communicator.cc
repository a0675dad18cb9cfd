#include "dist/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <thread>

namespace sinter {

namespace {

using Clock = std::chrono::steady_clock;

// MPI counts are ints: longer messages go in pieces.
constexpr size_t kPieceBytes = size_t{1} << 30;

// Tags on a communicator's control channel (on its data channel every tag is a descriptor's
// hash, and receives take any tag):
// the roll call that names the ranks a timed-out operation waited for,
constexpr int kRollCallTag = 1;
// the emulated departure time that goes before each message when links are emulated,
constexpr int kStampTag = 2;
// a desync: a question to the sender of an unexpected message, or the news for every rank,
constexpr int kNoticeTag = 3;
// and the messages of MPI_Comm_create_group.
constexpr int kGroupTag = 4;

// How long a roll call waits for answers: the other live ranks time out on the same collective
// within about a step of each other. A rank that found a desync waits as long for the answer.
constexpr double kRollCallSeconds = 5.0;
// Polls look for desync notices once in so many (an MPI_Test each).
constexpr int kPollsPerNoticeCheck = 64;
// The descriptors of the last messages a rank sent, kept to answer questions about them.
constexpr size_t kRemembered = 64;

int communicators_alive = 0;
bool this_process_started_mpi = false;

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
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

// MPI moves a large message a fragment per poll, so polls never sleep (with sleeps of up to 1 ms
// a 1 MiB all-reduce took 0.85 ms instead of 0.15); after a short spin each poll yields the core
// to ranks that compute beside it (--oversubscribe).
void pause_after(int polls) {
  if (polls > 200) std::this_thread::yield();
}

// Polls `requests` (completed ones become MPI_REQUEST_NULL) until all are done; returns -1, or on
// the deadline the index of the first one still open. For the requests outside operations (set-up,
// the roll call); an MPI error (returned, not fatal: see the constructor) is a CommError.
int wait_until(std::vector<MPI_Request>& requests, Clock::time_point deadline) {
  std::vector<int> done(requests.size());
  for (int polls = 0;; ++polls) {
    int count = 0;
    const int code = MPI_Testsome(static_cast<int>(requests.size()), requests.data(), &count,
                                  done.data(), MPI_STATUSES_IGNORE);
    if (code != MPI_SUCCESS) throw CommError(cat("MPI: ", mpi_error(code)));
    const auto open = std::find_if(requests.begin(), requests.end(),
                                   [](MPI_Request r) { return r != MPI_REQUEST_NULL; });
    if (open == requests.end()) return -1;
    if (Clock::now() > deadline) return static_cast<int>(open - requests.begin());
    pause_after(polls);
  }
}

enum NoticeKind : int32_t { kQuestion = 1, kAnswer = 2, kNews = 3 };

// A desync notice, of one size so that one posted receive fits any. A question carries the tag
// the asker got and what it expected; an answer, that tag and what it was; news, the line that
// names both sides, and the tag and description of the last message its sender sent the reader
// (the answer to a question it may not live to hear).
struct Notice {
  int32_t kind = 0;
  int32_t tag = -1;
  char text[496] = {};
  char sent[496] = {};
};

Notice make_notice(int32_t kind, int32_t tag, const std::string& text,
                   const std::string& sent = "") {
  Notice n;
  n.kind = kind;
  n.tag = tag;
  std::snprintf(n.text, sizeof n.text, "%s", text.c_str());
  std::snprintf(n.sent, sizeof n.sent, "%s", sent.c_str());
  return n;
}

}  // namespace

struct Communicator::Descriptor {
  enum Kind : uint8_t { kMessage, kAllreduce, kBroadcast, kBarrier, kSubgroup };
  Kind kind = kMessage;
  int64_t bytes = 0;
  int root = -1;  // a broadcast's, as a world rank

  // The MPI tag of a message with this descriptor and name: a hash in [0, tag_ub].
  int tag(const std::string& what, int tag_ub) const {
    uint64_t h = 14695981039346656037ull;  // FNV-1a
    auto mix = [&h](const void* p, size_t n) {
      for (size_t i = 0; i < n; ++i)
        h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ull;
    };
    mix(&kind, sizeof kind);
    mix(what.data(), what.size());
    mix(&bytes, sizeof bytes);
    mix(&root, sizeof root);
    return static_cast<int>(h % (static_cast<uint64_t>(tag_ub) + 1));
  }

  std::string text(const std::string& what) const {
    switch (kind) {
      case kAllreduce:
        return cat("'", what, "' (an all-reduce of ", bytes, " bytes)");
      case kBroadcast:
        return cat("'", what, "' (a broadcast of ", bytes, " bytes from rank ", root, ")");
      case kBarrier:
        return cat("'", what, "' (a barrier)");
      case kSubgroup:
        return cat("'", what, "'");
      default:
        return cat("'", what, "' with ", bytes, " bytes");
    }
  }
};

// A question this rank asked a peer about the message with `tag` it got from it.
struct Communicator::Question {
  int peer = -1;
  int tag = -1;
  bool done = false;   // answered, or the peer failed
  std::string answer;  // what the peer sent, when it said
};

struct Communicator::Mpi {
  // Point-to-point messages, tagged by their descriptors, and MPI's collectives.
  MPI_Comm data = MPI_COMM_NULL;
  // Roll calls, time stamps and desync notices: never confused with the data.
  MPI_Comm control = MPI_COMM_NULL;
  int tag_ub = 32767;  // the least MPI allows

  // The operation in flight: a request and what it is, for each message or collective.
  struct Item {
    int peer = -1;         // -1 for a collective
    bool receive = false;  // a point-to-point receive: cancelled when the operation fails
    bool checked = false;  // a data receive, whose tag and size must be what this rank expects
    int tag = 0;
    int64_t bytes = 0;  // of this piece of the message
    Descriptor expected;
  };
  std::vector<MPI_Request> requests;
  std::vector<Item> items;
  std::vector<MPI_Status> statuses;
  std::vector<int> indices;
  std::vector<double> sent_stamps, received_stamps;

  // Always posted: a receive for the next notice from any rank.
  MPI_Request notice_request = MPI_REQUEST_NULL;
  Notice notice;
  // Notices sent, kept while MPI may read them.
  std::deque<Notice> sent_notices;
  std::vector<MPI_Request> notice_sends;
  // The descriptors of the last messages this rank sent, to answer questions about them.
  struct Sent {
    int peer;
    int tag;
    Descriptor d;
    std::string what;
  };
  std::deque<Sent> sent;
  // The roll call's answers.
  std::vector<char> answers;
  std::vector<MPI_Request> roll_call;

  // Duplicates `base` into the two channels: collective over base's ranks, under the deadline.
  static std::unique_ptr<Mpi> open(MPI_Comm base, double timeout_s, int world_rank);
  // Keeps a failed communicator's channels and buffers as long as the process: MPI may still
  // complete requests into them.
  static void bury(std::unique_ptr<Mpi> m) {
    static auto* buried = new std::vector<std::unique_ptr<Mpi>>;
    buried->push_back(std::move(m));
  }
  // Ends a communicator that did not fail. Its channels stay allocated: MPI reuses a freed
  // channel's context id, and a later channel with it would get the late notices and roll calls
  // of ranks that failed.
  void close() {
    MPI_Cancel(&notice_request);
    MPI_Wait(&notice_request, MPI_STATUS_IGNORE);
  }

  void clear() {
    requests.clear();
    items.clear();
  }
  MPI_Request* add(const Item& item) {
    requests.push_back(MPI_REQUEST_NULL);
    items.push_back(item);
    return &requests.back();
  }
  // A failed operation's buffers must not be written after it: its receives are cancelled.
  void cancel_receives() {
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!items[i].receive || requests[i] == MPI_REQUEST_NULL) continue;
      MPI_Cancel(&requests[i]);
      MPI_Request_free(&requests[i]);
    }
  }

  void remember(int peer, int tag, const Descriptor& d, const std::string& what) {
    if (!sent.empty() && sent.back().peer == peer && sent.back().tag == tag) return;
    if (sent.size() == kRemembered) sent.pop_front();
    sent.push_back({peer, tag, d, what});
  }
  std::string describe_sent(int tag) const {
    for (auto s = sent.rbegin(); s != sent.rend(); ++s)
      if (s->tag == tag) return s->d.text(s->what);
    return cat("a message it no longer knows (tag ", tag, ")");
  }
  const Sent* last_sent_to(int peer) const {
    for (auto s = sent.rbegin(); s != sent.rend(); ++s)
      if (s->peer == peer) return &*s;
    return nullptr;
  }
  // A desync's news for every other rank.
  void tell_everyone(int rank, int size, const std::string& line) {
    for (int q = 0; q < size; ++q) {
      if (q == rank) continue;
      const Sent* last = last_sent_to(q);
      send_notice(q, last ? make_notice(kNews, last->tag, line, last->d.text(last->what))
                          : make_notice(kNews, -1, line));
    }
  }

  int post_notice_receive() {
    return MPI_Irecv(&notice, sizeof(Notice), MPI_BYTE, MPI_ANY_SOURCE, kNoticeTag, control,
                     &notice_request);
  }
  // Notices go out on failures: one that cannot be posted is left out.
  void send_notice(int to, const Notice& n) {
    sent_notices.push_back(n);
    notice_sends.push_back(MPI_REQUEST_NULL);
    MPI_Isend(&sent_notices.back(), sizeof(Notice), MPI_BYTE, to, kNoticeTag, control,
              &notice_sends.back());
  }
};

std::unique_ptr<Communicator::Mpi> Communicator::Mpi::open(MPI_Comm base, double timeout_s,
                                                           int world_rank) {
  auto m = std::make_unique<Mpi>();
  std::vector<MPI_Request> dups(2, MPI_REQUEST_NULL);
  int code = MPI_Comm_idup(base, &m->data, &dups[0]);
  if (code == MPI_SUCCESS) code = MPI_Comm_idup(base, &m->control, &dups[1]);
  std::string error = code == MPI_SUCCESS ? "" : cat("MPI: ", mpi_error(code));
  try {
    if (error.empty() && wait_until(dups, deadline_after(timeout_s)) >= 0)
      error = cat("not every rank took part within ", seconds(timeout_s));
  } catch (const CommError& e) {
    error = e.what();
  }
  if (error.empty()) {
    for (MPI_Comm c : {m->data, m->control}) MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    int* tag_ub = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &found);
    if (found) m->tag_ub = *tag_ub;
    code = m->post_notice_receive();
    if (code != MPI_SUCCESS) error = cat("MPI: ", mpi_error(code));
  }
  if (!error.empty()) {
    bury(std::move(m));
    throw CommError(cat("rank ", world_rank, ": setting up a communicator: ", error));
  }
  return m;
}

Communicator::Communicator(double timeout_s)
    : emulator_(std::make_shared<std::unique_ptr<LinkEmulator>>()) {
  set_timeout(timeout_s);
  int started = 0;
  MPI_Initialized(&started);
  int provided = MPI_THREAD_SINGLE;
  if (!started) {
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (code != MPI_SUCCESS) throw CommError(cat("starting MPI: ", mpi_error(code)));
    this_process_started_mpi = true;
  } else {
    MPI_Query_thread(&provided);
  }
  // The gradient reduction runs on a thread of its own (one thread at a time: SERIALIZED).
  if (provided < MPI_THREAD_SERIALIZED)
    throw CommError(cat("this MPI library provides thread support level ", provided,
                        ", below MPI_THREAD_SERIALIZED (", MPI_THREAD_SERIALIZED,
                        "), which sinter needs: a communication thread reduces the gradients"));
  // A lost peer becomes an error code that this class turns into a CommError naming it, instead
  // of MPI's default of ending the process with its own message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  for (int q = 0; q < size_; ++q) world_ranks_.push_back(q);
  mpi_ = Mpi::open(MPI_COMM_WORLD, timeout_s_, rank_);
  ++communicators_alive;
}

Communicator::Communicator(const Communicator& parent, const std::vector<int>& ranks,
                           std::unique_ptr<Mpi> mpi)
    : timeout_s_(parent.timeout_s_), mpi_(std::move(mpi)), emulator_(parent.emulator_) {
  MPI_Comm_rank(mpi_->data, &rank_);
  MPI_Comm_size(mpi_->data, &size_);
  for (int r : ranks) world_ranks_.push_back(parent.who(r));
  ++communicators_alive;
}

Communicator::~Communicator() {
  if (failed_) {
    Mpi::bury(std::move(mpi_));
  } else {
    mpi_->close();
  }
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
  mpi_->cancel_receives();
  throw CommError(cat("rank ", who(rank_), ": ", message));
}

void Communicator::posted(int code, const std::string& what) {
  if (code != MPI_SUCCESS) fail(cat(what, ": MPI: ", mpi_error(code)));
}

bool Communicator::wait(const std::string& what, int* first_open) {
  // A warning at half the timeout, so a stuck peer shows before the run ends.
  if (poll(timeout_s_ / 2, what, first_open)) return true;
  std::fprintf(stderr, "sinter: warning: rank %d: %s has waited %s for another rank\n", who(rank_),
               what.c_str(), seconds(timeout_s_ / 2).c_str());
  return poll(timeout_s_ / 2, what, first_open);
}

bool Communicator::poll(double seconds, const std::string& what, int* first_open) {
  Mpi& m = *mpi_;
  const Clock::time_point deadline = deadline_after(seconds);
  const int n = static_cast<int>(m.requests.size());
  m.statuses.resize(m.requests.size());
  m.indices.resize(m.requests.size());
  for (int polls = 0;; ++polls) {
    if (polls % kPollsPerNoticeCheck == 0) {
      const std::string line = serve_notices(what);
      if (!line.empty()) fail(line);
    }
    int count = 0;
    const int code =
        MPI_Testsome(n, m.requests.data(), &count, m.indices.data(), m.statuses.data());
    if (code != MPI_SUCCESS && code != MPI_ERR_IN_STATUS)
      fail(cat(what, ": MPI: ", mpi_error(code)));
    for (int k = 0; k < count && count != MPI_UNDEFINED; ++k) {
      const auto i = static_cast<size_t>(m.indices[static_cast<size_t>(k)]);
      const MPI_Status& s = m.statuses[static_cast<size_t>(k)];
      const int error = code == MPI_ERR_IN_STATUS ? s.MPI_ERROR : MPI_SUCCESS;
      int error_class = MPI_SUCCESS;
      if (error != MPI_SUCCESS) MPI_Error_class(error, &error_class);
      // A longer message than this rank expected is an error of its own: truncation.
      if (m.items[i].checked && error_class == MPI_ERR_TRUNCATE) desync(what, i, s.MPI_TAG, -1);
      if (error != MPI_SUCCESS) fail(cat(what, ": MPI: ", mpi_error(error)));
      if (!m.items[i].checked) continue;
      int got = 0;
      MPI_Get_count(&s, MPI_BYTE, &got);
      if (s.MPI_TAG != m.items[i].tag || got != m.items[i].bytes) desync(what, i, s.MPI_TAG, got);
    }
    const auto open = std::find_if(m.requests.begin(), m.requests.end(),
                                   [](MPI_Request r) { return r != MPI_REQUEST_NULL; });
    if (open == m.requests.end()) return true;
    if (Clock::now() > deadline) {
      if (first_open) *first_open = static_cast<int>(open - m.requests.begin());
      return false;
    }
    pause_after(polls);
  }
}

std::string Communicator::serve_notices(const std::string& what, Question* asking) {
  Mpi& m = *mpi_;
  std::string line;
  for (;;) {
    int arrived = 0;
    MPI_Status s;
    if (MPI_Test(&m.notice_request, &arrived, &s) != MPI_SUCCESS || !arrived) return line;
    Notice n = m.notice;
    n.text[sizeof n.text - 1] = n.sent[sizeof n.sent - 1] = 0;
    const int from = s.MPI_SOURCE;
    posted(m.post_notice_receive(), what);
    const bool asked = asking && from == asking->peer;
    if (n.kind == kQuestion) {
      const std::string sent = m.describe_sent(n.tag);
      m.send_notice(from, make_notice(kAnswer, n.tag, sent));
      // A rank asking a question of its own tells everyone when it has the answer.
      if (asking || !line.empty()) continue;
      line = cat("desync: this rank sent ", sent, ", rank ", who(from), " expected ", n.text);
      m.tell_everyone(
          rank_, size_,
          cat("rank ", who(rank_), " sent ", sent, ", rank ", who(from), " expected ", n.text));
    } else if (n.kind == kAnswer && asked && n.tag == asking->tag) {
      asking->done = true;
      asking->answer = n.text;
    } else if (n.kind == kNews) {
      if (asked) {
        asking->done = true;
        if (n.tag == asking->tag && asking->answer.empty()) asking->answer = n.sent;
      }
      if (line.empty())
        line = cat("'", what, "' stopped: rank ", who(from), " found a desync: ", n.text);
    }
  }
}

void Communicator::desync(const std::string& what, size_t item, int their_tag,
                          int64_t their_bytes) {
  Mpi& m = *mpi_;
  const Mpi::Item it = m.items[item];
  const std::string expected = it.expected.text(what);
  failed_ = true;
  // The tag tells only that the sender did something else: ask it what, answering questions
  // meanwhile (it may be asking this rank too). The answer, or its news, comes after any news
  // it sent before (one sender, one tag: MPI keeps their order).
  Question q;
  q.peer = it.peer;
  q.tag = their_tag;
  m.send_notice(it.peer, make_notice(kQuestion, their_tag, expected));
  const Clock::time_point deadline = deadline_after(std::min(timeout_s_, kRollCallSeconds));
  for (int polls = 0; !q.done && Clock::now() < deadline; ++polls) {
    serve_notices(what, &q);
    pause_after(polls);
  }
  const std::string theirs =
      !q.answer.empty() ? q.answer
      : their_bytes < 0 ? cat("a message of more than ", it.bytes, " bytes of another operation")
                        : cat("a message of ", their_bytes, " bytes of another operation");
  // Every rank hears of it: those waiting on this one fail now instead of at the deadline.
  m.tell_everyone(
      rank_, size_,
      cat("rank ", who(it.peer), " sent ", theirs, ", rank ", who(rank_), " expected ", expected));
  fail(cat("desync in '", what, "': rank ", who(it.peer), " sent ", theirs, ", this rank expected ",
           expected));
}

void Communicator::fail_collective(const std::string& what, int first_open) {
  Mpi& m = *mpi_;
  std::string if_all_answer = cat(what, " did not complete within ", seconds(timeout_s_),
                                  " (a rank is dead, stopped or desynchronized)");
  // The peer may itself be waiting on the rank that is gone (in a ring, everyone waits on a
  // neighbour): the roll call finds that one; if every rank answers, the peer is named.
  if (first_open >= 0 && m.items[static_cast<size_t>(first_open)].peer >= 0) {
    const Mpi::Item& it = m.items[static_cast<size_t>(first_open)];
    if_all_answer = it.receive ? cat(what, ": no message from rank ", who(it.peer), " within ",
                                     seconds(timeout_s_), " (desynchronized?)")
                               : cat(what, ": rank ", who(it.peer), " took no message within ",
                                     seconds(timeout_s_), " (desynchronized?)");
  }
  failed_ = true;
  // Every live rank sends a byte to every other; whoever sends none is gone or stuck.
  static const char byte = 1;
  m.answers.assign(static_cast<size_t>(size_), 0);
  m.roll_call.clear();
  std::vector<int> peers;
  int code = MPI_SUCCESS;
  for (int q = 0; q < size_; ++q) {
    if (q == rank_) continue;
    m.roll_call.push_back(MPI_REQUEST_NULL);
    code |= MPI_Irecv(&m.answers[static_cast<size_t>(q)], 1, MPI_BYTE, q, kRollCallTag, m.control,
                      &m.roll_call.back());
    peers.push_back(q);
  }
  const size_t receives = m.roll_call.size();
  for (int q : peers) {
    m.roll_call.push_back(MPI_REQUEST_NULL);
    code |= MPI_Isend(&byte, 1, MPI_BYTE, q, kRollCallTag, m.control, &m.roll_call.back());
  }
  std::string missing;
  try {
    if (code != MPI_SUCCESS) throw CommError("the roll call could not be posted");
    wait_until(m.roll_call, deadline_after(std::min(timeout_s_, kRollCallSeconds)));
    for (size_t i = 0; i < receives; ++i)
      if (m.roll_call[i] != MPI_REQUEST_NULL)
        missing += cat(missing.empty() ? "" : ", ", who(peers[i]));
  } catch (const CommError&) {
    missing.clear();  // the roll call itself failed: say what is known
  }
  for (size_t i = 0; i < receives; ++i) {
    if (m.roll_call[i] == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&m.roll_call[i]);
    MPI_Request_free(&m.roll_call[i]);
  }
  if (missing.empty()) fail(if_all_answer);
  fail(cat(what, ": no answer from rank ", missing, " within ", seconds(timeout_s_),
           " (dead or stopped)"));
}

void Communicator::post_messages(const std::vector<Message>& messages, bool send,
                                 const std::string& what) {
  Mpi& m = *mpi_;
  static char nothing = 0;
  for (const Message& message : messages) {
    Descriptor d;
    d.bytes = static_cast<int64_t>(message.bytes);
    const int tag = d.tag(what, m.tag_ub);
    char* bytes = message.data ? static_cast<char*>(message.data) : &nothing;
    for (size_t at = 0; at < message.bytes || (at == 0 && message.bytes == 0); at += kPieceBytes) {
      const size_t n = std::min(kPieceBytes, message.bytes - at);
      const Mpi::Item item{message.peer, !send, !send, tag, static_cast<int64_t>(n), d};
      if (send) {
        posted(MPI_Isend(bytes + at, static_cast<int>(n), MPI_BYTE, message.peer, tag, m.data,
                         m.add(item)),
               what);
      } else {
        posted(MPI_Irecv(bytes + at, static_cast<int>(n), MPI_BYTE, message.peer, MPI_ANY_TAG,
                         m.data, m.add(item)),
               what);
      }
      if (message.bytes == 0) break;
    }
    if (send) {
      bytes_sent_ += static_cast<int64_t>(message.bytes);
      m.remember(message.peer, tag, d, what);
    }
  }
}

void Communicator::transfer(const std::vector<Message>& sends, const std::vector<Message>& receives,
                            const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  for (const auto* messages : {&sends, &receives})
    for (const Message& message : *messages)
      if (message.peer < 0 || message.peer >= size_)
        fail(cat(what, ": there is no rank ", message.peer, " among ", size_));
  Mpi& m = *mpi_;
  m.clear();
  // With emulated links each message is preceded by the time it leaves its sender's link.
  LinkEmulator* const clock = emulator();
  const double start = clock ? clock->begin_operation() : 0;
  double done = start;
  if (clock) {
    m.sent_stamps.resize(sends.size());
    m.received_stamps.resize(receives.size());
    for (size_t i = 0; i < receives.size(); ++i)
      posted(MPI_Irecv(&m.received_stamps[i], 1, MPI_DOUBLE, receives[i].peer, kStampTag, m.control,
                       m.add({receives[i].peer, true, false, 0, 0, {}})),
             what);
    for (size_t i = 0; i < sends.size(); ++i) {
      m.sent_stamps[i] = clock->depart(start, static_cast<int64_t>(sends[i].bytes));
      done = std::max(
          done, m.sent_stamps[i] + static_cast<double>(sends[i].bytes) / clock->link().bytes_per_s);
      posted(MPI_Isend(&m.sent_stamps[i], 1, MPI_DOUBLE, sends[i].peer, kStampTag, m.control,
                       m.add({sends[i].peer, false, false, 0, 0, {}})),
             what);
    }
  }
  // Receives first, so a message finds its buffer posted.
  post_messages(receives, false, what);
  post_messages(sends, true, what);
  int open = -1;
  if (!wait(what, &open)) fail_collective(what, open);
  if (!clock) return;
  // The incoming link takes the messages in the order they left.
  std::vector<size_t> order(receives.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return m.received_stamps[a] < m.received_stamps[b]; });
  for (size_t i : order)
    done = std::max(done,
                    clock->arrive(m.received_stamps[i], static_cast<int64_t>(receives[i].bytes)));
  clock->end_operation(done);
}

// MPI's collectives carry no tag: ranks in different collectives, or in one of another size,
// could meet each other (undefined behaviour: a hang or wrong data), and a rank in a collective
// is not seen by one waiting for its message. So before each, every rank sends the collective's
// descriptor as the tag of an empty message to the next rank in a ring and receives one from the
// previous: if every rank agrees with its predecessor, all agree. One message a rank, one hop.
void Communicator::agree(const Descriptor& d, const std::string& what) {
  if (size_ == 1) return;
  Mpi& m = *mpi_;
  m.clear();
  static char nothing = 0;
  const int tag = d.tag(what, m.tag_ub);
  const int next = (rank_ + 1) % size_, prev = (rank_ + size_ - 1) % size_;
  posted(MPI_Irecv(&nothing, 0, MPI_BYTE, prev, MPI_ANY_TAG, m.data,
                   m.add({prev, true, true, tag, 0, d})),
         what);
  posted(
      MPI_Isend(&nothing, 0, MPI_BYTE, next, tag, m.data, m.add({next, false, false, tag, 0, d})),
      what);
  m.remember(next, tag, d, what);
  int open = -1;
  if (!wait(what, &open)) fail_collective(what, open);
}

void Communicator::allreduce_sum(float* data, int64_t count, const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  // The clock starts before the wait, so time spent waiting for the others is not compute.
  LinkEmulator* const clock = emulator();
  const double start = clock ? clock->begin_operation() : 0;
  agree({Descriptor::kAllreduce, count * static_cast<int64_t>(sizeof(float)), -1}, what);
  Mpi& m = *mpi_;
  m.clear();
  constexpr int64_t kPiece = std::numeric_limits<int>::max() / 2;
  for (int64_t at = 0; at < count; at += kPiece)
    posted(MPI_Iallreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kPiece, count - at)),
                          MPI_FLOAT, MPI_SUM, m.data, m.add({})),
           what);
  bytes_sent_ += 2 * (size_ - 1) * count * static_cast<int64_t>(sizeof(float)) / size_;
  if (!wait(what)) fail_collective(what);
  if (clock) {
    const double latest = latest_over_ranks(start, what);
    clock->end_operation(
        clock->allreduce_done(latest, count * static_cast<int64_t>(sizeof(float)), size_));
  }
}

void Communicator::broadcast(void* data, size_t bytes, int root, const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  if (root < 0 || root >= size_) fail(cat(what, ": there is no rank ", root, " among ", size_));
  LinkEmulator* const clock = emulator();
  const double start = clock ? clock->begin_operation() : 0;
  agree({Descriptor::kBroadcast, static_cast<int64_t>(bytes), who(root)}, what);
  Mpi& m = *mpi_;
  m.clear();
  auto* p = static_cast<char*>(data);
  for (size_t at = 0; at < bytes; at += kPieceBytes)
    posted(MPI_Ibcast(p + at, static_cast<int>(std::min(kPieceBytes, bytes - at)), MPI_BYTE, root,
                      m.data, m.add({})),
           what);
  if (rank_ == root) bytes_sent_ += static_cast<int64_t>(bytes);
  if (!wait(what)) fail_collective(what);
  if (clock) {
    const double latest = latest_over_ranks(start, what);
    clock->end_operation(clock->broadcast_done(latest, static_cast<int64_t>(bytes), size_));
  }
}

void Communicator::barrier(const std::string& what) {
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  // The clock starts before the wait, so time spent waiting for the others is not compute.
  LinkEmulator* const clock = emulator();
  const double start = clock ? clock->begin_operation() : 0;
  agree({Descriptor::kBarrier, 0, -1}, what);
  Mpi& m = *mpi_;
  m.clear();
  posted(MPI_Ibarrier(m.data, m.add({})), what);
  if (!wait(what)) fail_collective(what);
  if (clock) {
    const double latest = latest_over_ranks(start, what);
    clock->end_operation(clock->broadcast_done(latest, 0, size_));
  }
}

std::unique_ptr<Communicator> Communicator::subgroup(const std::vector<int>& ranks) {
  std::vector<bool> listed(static_cast<size_t>(size_), false);
  std::string list;
  for (int r : ranks) {
    if (r < 0 || r >= size_)
      throw InputError(cat("a subgroup lists rank ", r, ", not one of the ", size_, " ranks"));
    if (listed[static_cast<size_t>(r)])
      throw InputError(cat("a subgroup lists rank ", r, " twice"));
    listed[static_cast<size_t>(r)] = true;
    list += cat(list.empty() ? "" : ", ", who(r));
  }
  if (ranks.empty() || !listed[static_cast<size_t>(rank_)])
    throw InputError(
        cat("rank ", who(rank_), " asked for a subgroup of ranks {", list, "} without it"));
  const std::string what = cat("subgroup of ranks ", list);
  if (failed_) fail(cat(what, ": an earlier operation failed"));
  // MPI_Comm_create_group has no non-blocking form, so it starts only when every other member is
  // known to have come asking for the same group: each sends each the group's description, under
  // the deadline. Only a member that dies or is stopped in between could hold it (a dead one
  // makes mpirun end the run).
  Mpi& m = *mpi_;
  m.clear();
  static char nothing = 0;
  const Descriptor d{Descriptor::kSubgroup, 0, -1};
  const int tag = d.tag(what, m.tag_ub);
  for (int r : ranks)
    if (r != rank_)
      posted(MPI_Irecv(&nothing, 0, MPI_BYTE, r, MPI_ANY_TAG, m.data,
                       m.add({r, true, true, tag, 0, d})),
             what);
  for (int r : ranks) {
    if (r == rank_) continue;
    posted(MPI_Isend(&nothing, 0, MPI_BYTE, r, tag, m.data, m.add({r, false, false, tag, 0, d})),
           what);
    m.remember(r, tag, d, what);
  }
  int open = -1;
  // No roll call: the ranks outside the group are not waiting for anything.
  if (!wait(what, &open))
    fail(cat(what, ": rank ", who(m.items[static_cast<size_t>(open)].peer),
             " did not ask for it within ", seconds(timeout_s_)));
  MPI_Group all = MPI_GROUP_NULL, members = MPI_GROUP_NULL;
  MPI_Comm base = MPI_COMM_NULL;
  int code = MPI_Comm_group(m.control, &all);
  if (code == MPI_SUCCESS)
    code = MPI_Group_incl(all, static_cast<int>(ranks.size()), ranks.data(), &members);
  if (code == MPI_SUCCESS) code = MPI_Comm_create_group(m.control, members, kGroupTag, &base);
  if (members != MPI_GROUP_NULL) MPI_Group_free(&members);
  if (all != MPI_GROUP_NULL) MPI_Group_free(&all);
  if (code != MPI_SUCCESS) fail(cat(what, ": MPI: ", mpi_error(code)));
  MPI_Comm_set_errhandler(base, MPI_ERRORS_RETURN);
  std::unique_ptr<Mpi> channels;
  try {
    channels = Mpi::open(base, timeout_s_, who(rank_));
  } catch (const CommError&) {
    failed_ = true;
    throw;
  }
  MPI_Comm_free(&base);
  return std::unique_ptr<Communicator>(new Communicator(*this, ranks, std::move(channels)));
}

void Communicator::emulate_links(const LinkModel& link, double slowdown, bool cpu_time) {
  *emulator_ = std::make_unique<LinkEmulator>(link, slowdown, cpu_time);
}

double Communicator::latest_over_ranks(double time, const std::string& what) {
  Mpi& m = *mpi_;
  m.clear();
  m.sent_stamps.assign(1, time);
  posted(
      MPI_Iallreduce(MPI_IN_PLACE, m.sent_stamps.data(), 1, MPI_DOUBLE, MPI_MAX, m.data, m.add({})),
      what);
  if (!wait(what)) fail_collective(what);
  return m.sent_stamps[0];
}

void Communicator::meet_after_error(double timeout_s) {
  // A collective on the control channel, which otherwise carries only point-to-point messages of
  // its own tags: it can meet nothing but another rank's meet_after_error.
  std::vector<MPI_Request> meeting(1, MPI_REQUEST_NULL);
  const double wait_s = std::isfinite(timeout_s) && timeout_s > 0 ? timeout_s : 0.0;
  bool met = false;
  try {
    met = MPI_Ibarrier(mpi_->control, &meeting[0]) == MPI_SUCCESS &&
          wait_until(meeting, deadline_after(wait_s)) < 0;
  } catch (const CommError&) {
  }
  // A rank that did not come would keep MPI_Finalize waiting for it.
  if (!met) failed_ = true;
}

void Communicator::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace sinter
