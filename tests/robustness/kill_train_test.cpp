// Training that loses nothing: `nnc train` killed with SIGKILL at 20 random moments. Whatever the
// moment, the run folder holds a last.ckpt that loads (once the first epoch has ended; before
// that, --resume says there is nothing to resume) and a metrics.jsonl whose every line is a
// complete JSON object; `nnc train --resume` then finishes the run.
// (tests/runtime/checkpoint_kill_test.cpp kills a process in the middle of saving; cli_data_test
// covers Ctrl-C and bit-identical resume.)
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/spawn_nnc.h"
#include "tests/e2e/text_file.h"

namespace fs = std::filesystem;

namespace {

using nnc::test::read_text;

// nnc with `args`, killed if it takes more than 5 minutes; its status, its output in `output`.
int run(const std::string& args, std::string* output = nullptr) {
    const nnc::test::Result r = nnc::test::run_shell("timeout -s KILL 300 " + std::string(NNC_BINARY) + " " + args);
    if (output) *output = r.output;
    return r.status;
}

TEST(KillTrain, SigkillAtRandomMomentsLeavesALoadableRunThatResumes) {
    char pattern[] = "/tmp/nnc_kill_XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const fs::path so = dir / "regress.so", csv = dir / "train.csv";
    ASSERT_EQ(run(std::string(NNC_CORPUS_DIR) + "/models/regress.nn -o " + so.string()), 0);
    {
        std::ofstream f(csv);
        f << "x0,x1,x2,y\n";
        for (int i = 0; i < 20000; ++i)
            f << i % 7 << "," << i % 5 << "," << i % 3 << "," << (i % 7) * 2 - (i % 3) << "\n";
    }
    // 20000 samples at batch 2 over 6 epochs, a step line every 10 batches: a few seconds.
    const std::string train = "train " + so.string() + " --data " + csv.string() +
                              " --target y --epochs 6 --threads 1 --metrics-every 10 --out ";
    // The shortest of three whole runs: one slowed by a test beside it (ctest runs two at a time)
    // would spread the kills past the end of the faster runs, which then finish unkilled.
    double whole = 0;
    for (int i = 0; i < 3; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        ASSERT_EQ(run(train + (dir / ("whole" + std::to_string(i))).string()), 0);
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        whole = i == 0 ? took : std::min(whole, took);
    }

    std::mt19937 rng(8);
    int killed = 0, with_checkpoint = 0, resumed = 0;
    // Until 15 runs were killed, at most 40: a run that finished before its kill shows the runs are
    // now faster than `whole` was measured (a test beside it slowed those), so later kills come sooner.
    int rounds = 0;
    for (int round = 0; killed < 15 && round < 40; ++round, ++rounds) {
        const fs::path folder = dir / ("run" + std::to_string(round));
        const std::string args = train + folder.string();
        const pid_t pid = nnc::test::start_nnc(args, "/dev/null");
        ASSERT_GT(pid, 0);
        const double at = std::uniform_real_distribution<double>(0.05, 1.0)(rng) * whole;
        std::this_thread::sleep_for(std::chrono::duration<double>(at));
        kill(pid, SIGKILL);
        const int status = nnc::test::wait_status(pid);
        ASSERT_NE(status, -2);
        if (status == -1)  // ended by the signal
            ++killed;
        else
            whole = std::min(whole, at);
        SCOPED_TRACE("round " + std::to_string(round) + ", killed after " + std::to_string(at) + " s");

        // Every line of the metrics log is a whole JSON object.
        if (fs::exists(folder / "metrics.jsonl")) {
            const std::string metrics = read_text(folder / "metrics.jsonl");
            EXPECT_TRUE(metrics.empty() || metrics.back() == '\n') << "a torn last line";
            std::istringstream lines(metrics);
            for (std::string line; std::getline(lines, line);)
                EXPECT_TRUE(line.size() >= 2 && line.front() == '{' && line.back() == '}') << line;
        }
        std::string out;
        if (fs::exists(folder / "last.ckpt")) {
            ++with_checkpoint;
            EXPECT_EQ(run("eval " + so.string() + " --weights " + (folder / "last.ckpt").string() + " --data " +
                              csv.string() + " --target y",
                          &out),
                      0)
                << out;
            // Killed after the last epoch's checkpoint, the run is complete and says so.
            const int st = run("train --resume " + folder.string(), &out);
            if (out.find("has completed 6 of 6 epochs") == std::string::npos) {
                EXPECT_EQ(st, 0) << out;
                ++resumed;
            }
            EXPECT_NE(read_text(folder / "metrics.jsonl").find("\"epoch\":6"), std::string::npos);
        } else {
            // Killed before the first checkpoint: nothing to resume, said plainly.
            const int st = run("train --resume " + folder.string(), &out);
            EXPECT_EQ(st, 1) << out;
            EXPECT_NE(out.find(folder.string()), std::string::npos) << out;
        }
    }
    std::printf(
        "%d runs: %d killed by SIGKILL, %d left a checkpoint, %d resumed to the end, the others had no checkpoint yet "
        "(refused plainly) or had finished\n",
        rounds, killed, with_checkpoint, resumed);
    EXPECT_GE(killed, 15);
    if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
