// The runtime's thread pool (runtime/workers.h): every task runs exactly once whatever the thread
// count, back-to-back runs and runs after the threads have gone to sleep, nested runs inline, and
// the per-thread pool that the generated parallel loops use.
#include "runtime/workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

using nnc::runtime::Workers;

// Runs `tasks` tasks and checks each ran once; returns how many distinct threads ran them.
size_t run_and_check(Workers& workers, int64_t tasks) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
    std::mutex mutex;
    std::set<std::thread::id> ids;
    workers.run(tasks, [&](int64_t t) {
        hits[static_cast<size_t>(t)].fetch_add(1);
        // Long enough that a second thread gets to claim some tasks.
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        while (std::chrono::steady_clock::now() < until) {}
        std::lock_guard<std::mutex> lock(mutex);
        ids.insert(std::this_thread::get_id());
    });
    for (int64_t t = 0; t < tasks; ++t) EXPECT_EQ(hits[static_cast<size_t>(t)].load(), 1) << "task " << t;
    return ids.size();
}

TEST(Workers, EveryTaskRunsOnceOnAnyThreadCount) {
    for (int threads : {1, 2, 3, 5}) {
        Workers workers(threads);
        for (int64_t tasks : {0, 1, 2, 7, 64}) run_and_check(workers, tasks);
    }
}

TEST(Workers, ManyRunsBackToBack) {
    Workers workers(3);
    std::atomic<int64_t> sum{0};
    for (int run = 0; run < 2000; ++run) workers.run(5, [&](int64_t t) { sum.fetch_add(t + 1); });
    EXPECT_EQ(sum.load(), 2000 * 15);
}

TEST(Workers, WakesThreadsThatWentToSleep) {
    Workers workers(2);
    size_t most = 0;
    for (int run = 0; run < 5; ++run) {
        // Past the spin window: the background thread is blocked when the next run starts.
        std::this_thread::sleep_for(std::chrono::microseconds(5 * nnc::runtime::kSpinMicros));
        most = std::max(most, run_and_check(workers, 100));
    }
    EXPECT_EQ(most, 2u) << "the background thread never took a task";
}

TEST(Workers, NestedRunRunsInline) {
    Workers workers(2);
    std::atomic<int> inner{0};
    workers.run(4, [&](int64_t) {
        EXPECT_TRUE(Workers::in_task());
        const std::thread::id outer = std::this_thread::get_id();
        workers.run(3, [&](int64_t) {
            EXPECT_EQ(std::this_thread::get_id(), outer);
            inner.fetch_add(1);
        });
    });
    EXPECT_EQ(inner.load(), 12);
    EXPECT_FALSE(Workers::in_task());
}

TEST(Workers, PipelineScopeIsPerThreadAndNests) {
    Workers a(1), b(1);
    EXPECT_EQ(nnc::runtime::pipeline_workers(), nullptr);
    {
        nnc::runtime::PipelineWorkersScope outer(&a);
        EXPECT_EQ(nnc::runtime::pipeline_workers(), &a);
        {
            nnc::runtime::PipelineWorkersScope inner(&b);
            EXPECT_EQ(nnc::runtime::pipeline_workers(), &b);
        }
        EXPECT_EQ(nnc::runtime::pipeline_workers(), &a);
        std::thread([] { EXPECT_EQ(nnc::runtime::pipeline_workers(), nullptr); }).join();
    }
    EXPECT_EQ(nnc::runtime::pipeline_workers(), nullptr);
}

}  // namespace
