// A small persistent thread pool: it runs the generated pipelines' parallel loops (Halide's
// halide_do_par_for, redirected here while a model's pipeline runs, runtime/halide_hooks.cpp) and
// the runtime's arena-wide loops (optimizer updates, gradient norms, clipping), so a model has one
// pool of threads, not two competing for the cores. The calling thread takes a share of the work.
//
// Waking a sleeping thread costs tens of microseconds on the VMs this runs on, as long as a small
// parallel loop: after a loop the threads spin (a pause instruction, no system call) for up to
// kSpinMicros waiting for the next one, then sleep. A pipeline runs dozens of loops back to back,
// so they stay awake through a step; an idle model's threads sleep.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

namespace nnc::runtime {

// Arenas below this many floats per thread are updated by the calling thread alone: waking a
// thread costs more than it saves.
inline constexpr int64_t kMinFloatsPerThread = int64_t{1} << 16;

// How long an idle thread polls for the next loop before it sleeps.
inline constexpr int kSpinMicros = 200;

// The default thread count: HL_NUM_THREADS when set (it limited the generated code before the
// pool ran it), else this machine's hardware threads, at most 8 (more threads than memory
// channels only add contention to the memory-bound loops).
int default_thread_count();

class Workers {
public:
    explicit Workers(int threads);  // threads >= 1: threads - 1 background threads
    ~Workers();
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    int threads() const { return threads_; }
    // fn(task) for every task in [0, tasks), spread over the threads; returns when all are done.
    // One caller at a time. A call from inside a task (a nested parallel loop) runs inline.
    void run(int64_t tasks, const std::function<void(int64_t)>& fn);

    // True on a thread that is running a task of some pool's run().
    static bool in_task();

private:
    struct State;
    int threads_;
    std::unique_ptr<State> state_;
};

// fn(begin, end) over [0, count) in contiguous chunks whose bounds are multiples of 64 floats:
// up to 4 per thread, of at least kMinFloatsPerThread, when the arena is large, else one call
// on this thread. `workers` may be null.
void for_chunks(Workers* workers, int64_t count, const std::function<void(int64_t, int64_t)>& fn);

// The pool that runs the generated code's parallel loops on this thread while it lives (null:
// Halide's own pool). Set around every pipeline call of a model.
class PipelineWorkersScope {
public:
    explicit PipelineWorkersScope(Workers* workers);
    ~PipelineWorkersScope();
    PipelineWorkersScope(const PipelineWorkersScope&) = delete;
    PipelineWorkersScope& operator=(const PipelineWorkersScope&) = delete;

private:
    Workers* previous_;
};

// The pool set by the innermost PipelineWorkersScope on this thread, or null.
Workers* pipeline_workers();

}  // namespace nnc::runtime
