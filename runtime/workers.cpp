#include "runtime/workers.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nnc::runtime {
namespace {

thread_local bool t_in_task = false;
thread_local Workers* t_pipeline_workers = nullptr;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

using Clock = std::chrono::steady_clock;

// One run(): its tasks, claimed one at a time. Lives on the caller's stack; run() returns only
// when no thread can still reach it (State::active).
struct Job {
    const std::function<void(int64_t)>* fn;
    int64_t tasks;
    std::atomic<int64_t> next{0};
};

void drain(Job& job) {
    const bool outer = t_in_task;
    t_in_task = true;
    for (int64_t t = job.next.fetch_add(1); t < job.tasks; t = job.next.fetch_add(1)) (*job.fn)(t);
    t_in_task = outer;
}

}  // namespace

// Every atomic below uses sequentially consistent operations where two threads publish and then
// check each other's flag (job/active, generation/sleeping): either side is guaranteed to see
// the other's write, so no wake-up is lost and no job is left while a thread still works on it.
struct Workers::State {
    std::atomic<uint64_t> generation{0};  // one per run(): idle threads watch it
    std::atomic<Job*> job{nullptr};       // the run in progress, null between runs
    std::atomic<int> active{0};           // threads that may be touching `job`
    std::atomic<int> sleeping{0};         // threads blocked on `wake`
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable wake;
    std::vector<std::thread> threads;

    // Waits for a generation other than `seen`: spins kSpinMicros, then sleeps. False on stop.
    bool wait_for_work(uint64_t seen) {
        const auto spin_until = Clock::now() + std::chrono::microseconds(kSpinMicros);
        for (int i = 1;; ++i) {
            if (stop.load()) return false;
            if (generation.load() != seen) return true;
            // A few pauses catch the next loop of a pipeline within a microsecond; then yields,
            // so that a thread sharing this core (the caller, when another process has the
            // other core) runs instead of this one's polling.
            if (i < 64)
                cpu_relax();
            else
                std::this_thread::yield();
            if (i % 16 == 0 && Clock::now() > spin_until) break;
        }
        std::unique_lock<std::mutex> lock(mutex);
        sleeping.fetch_add(1);
        wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
        sleeping.fetch_sub(1);
        return !stop.load();
    }

    void loop() {
        uint64_t seen = 0;
        while (wait_for_work(seen)) {
            seen = generation.load();
            active.fetch_add(1);
            // Non-null here means run() has not yet cleared it, so it waits for `active` to drop.
            if (Job* j = job.load()) drain(*j);
            active.fetch_sub(1);
        }
    }
};

int default_thread_count() {
    if (const char* env = std::getenv("HL_NUM_THREADS")) {
        const int n = std::atoi(env);
        if (n >= 1) return std::min(n, 256);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return static_cast<int>(std::clamp(hw, 1u, 8u));
}

Workers::Workers(int threads) : threads_(std::max(threads, 1)), state_(std::make_unique<State>()) {
    for (int i = 1; i < threads_; ++i) state_->threads.emplace_back([s = state_.get()] { s->loop(); });
}

Workers::~Workers() {
    state_->stop.store(true);
    { std::lock_guard<std::mutex> lock(state_->mutex); }
    state_->wake.notify_all();
    for (std::thread& t : state_->threads) t.join();
}

bool Workers::in_task() { return t_in_task; }

void Workers::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    if (threads_ == 1 || tasks <= 1 || t_in_task) {
        for (int64_t t = 0; t < tasks; ++t) fn(t);
        return;
    }
    State& s = *state_;
    Job job{&fn, tasks};
    s.job.store(&job);
    s.generation.fetch_add(1);
    if (s.sleeping.load() > 0) {
        { std::lock_guard<std::mutex> lock(s.mutex); }  // a thread between its check and its wait gets the signal
        s.wake.notify_all();
    }
    drain(job);
    s.job.store(nullptr);
    // The others finish the tasks they claimed (each at most one).
    for (int i = 1; s.active.load() != 0; ++i) {
        if (i < 256)
            cpu_relax();
        else
            std::this_thread::yield();  // that thread lost its core: give it ours
    }
}

void for_chunks(Workers* workers, int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t threads = workers ? std::min<int64_t>(workers->threads(), count / kMinFloatsPerThread) : 1;
    if (threads <= 1) {
        if (count > 0) fn(0, count);
        return;
    }
    // Up to 4 chunks per thread, claimed as they come: with one chunk each, a thread that started
    // late (waking, or sharing its core) kept the caller waiting for its whole share.
    const int64_t chunks = std::min(4 * threads, count / kMinFloatsPerThread);
    constexpr int64_t kAlign = 64;
    const int64_t per = (count / chunks + kAlign - 1) / kAlign * kAlign;
    workers->run(chunks, [&](int64_t t) {
        const int64_t begin = std::min(count, t * per), end = t == chunks - 1 ? count : std::min(count, begin + per);
        if (begin < end) fn(begin, end);
    });
}

PipelineWorkersScope::PipelineWorkersScope(Workers* workers) : previous_(t_pipeline_workers) {
    t_pipeline_workers = workers;
}

PipelineWorkersScope::~PipelineWorkersScope() { t_pipeline_workers = previous_; }

Workers* pipeline_workers() { return t_pipeline_workers; }

}  // namespace nnc::runtime
