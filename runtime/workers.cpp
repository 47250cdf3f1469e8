#include "runtime/workers.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nnc::runtime {

struct Workers::State {
    std::mutex mutex;
    std::condition_variable wake, done;
    uint64_t generation = 0;  // one per run(); a thread works once per generation
    bool stop = false;
    const std::function<void(int64_t)>* fn = nullptr;
    int64_t tasks = 0;
    std::atomic<int64_t> next{0};
    int busy = 0;
    std::vector<std::thread> threads;

    void drain(const std::function<void(int64_t)>& f, int64_t n) {
        for (int64_t t = next.fetch_add(1); t < n; t = next.fetch_add(1)) f(t);
    }

    void loop() {
        uint64_t seen = 0;
        std::unique_lock<std::mutex> lock(mutex);
        for (;;) {
            wake.wait(lock, [&] { return stop || generation != seen; });
            if (stop) return;
            seen = generation;
            const auto* f = fn;
            const int64_t n = tasks;
            lock.unlock();
            drain(*f, n);
            lock.lock();
            if (--busy == 0) done.notify_one();
        }
    }
};

int default_thread_count() {
    const unsigned hw = std::thread::hardware_concurrency();
    return static_cast<int>(std::clamp(hw, 1u, 8u));
}

Workers::Workers(int threads) : threads_(std::max(threads, 1)), state_(std::make_unique<State>()) {
    for (int i = 1; i < threads_; ++i) state_->threads.emplace_back([s = state_.get()] { s->loop(); });
}

Workers::~Workers() {
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->stop = true;
    }
    state_->wake.notify_all();
    for (std::thread& t : state_->threads) t.join();
}

void Workers::run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    if (threads_ == 1 || tasks <= 1) {
        for (int64_t t = 0; t < tasks; ++t) fn(t);
        return;
    }
    State& s = *state_;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        s.fn = &fn;
        s.tasks = tasks;
        s.next = 0;
        s.busy = static_cast<int>(s.threads.size());
        ++s.generation;
    }
    s.wake.notify_all();
    s.drain(fn, tasks);
    std::unique_lock<std::mutex> lock(s.mutex);
    s.done.wait(lock, [&] { return s.busy == 0; });
}

void for_chunks(Workers* workers, int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t threads = workers ? std::min<int64_t>(workers->threads(), count / kMinFloatsPerThread) : 1;
    if (threads <= 1) {
        if (count > 0) fn(0, count);
        return;
    }
    constexpr int64_t kAlign = 64;
    const int64_t per = (count / threads + kAlign - 1) / kAlign * kAlign;
    workers->run(threads, [&](int64_t t) {
        const int64_t begin = std::min(count, t * per), end = t == threads - 1 ? count : std::min(count, begin + per);
        if (begin < end) fn(begin, end);
    });
}

}  // namespace nnc::runtime
