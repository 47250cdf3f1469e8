// A small persistent thread pool for the runtime's arena-wide loops (optimizer updates, gradient
// norms, clipping). Threads sleep between calls; the calling thread takes a share of the work.
// Large arenas are split into contiguous chunks, one per thread; small ones run inline, so the
// pool costs nothing for small models.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

namespace nnc::runtime {

// Arenas below this many floats per thread are updated by the calling thread alone: waking a
// thread costs more than it saves.
inline constexpr int64_t kMinFloatsPerThread = int64_t{1} << 16;

// The default thread count: this machine's hardware threads, at most 8 (the updates are
// memory-bound; more threads than memory channels only add contention).
int default_thread_count();

class Workers {
public:
    explicit Workers(int threads);  // threads >= 1: threads - 1 background threads
    ~Workers();
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    int threads() const { return threads_; }
    // fn(task) for every task in [0, tasks), spread over the threads; returns when all are done.
    // Not re-entrant: one caller at a time.
    void run(int64_t tasks, const std::function<void(int64_t)>& fn);

private:
    struct State;
    int threads_;
    std::unique_ptr<State> state_;
};

// fn(begin, end) over [0, count) in contiguous chunks whose bounds are multiples of 64 floats:
// one chunk per thread when the arena is large, else one call on this thread. `workers` may be null.
void for_chunks(Workers* workers, int64_t count, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace nnc::runtime
