// A run folder is never lost or mixed up: one process at a time writes it (two trainings on one
// --out, or two --resume of one run: one trains, the other is refused naming the holder's pid);
// SIGTERM and SIGHUP save last.ckpt as Ctrl-C does; a refused command, numeric option or data
// leaves the disk exactly as it found it; dead writers' temporaries are removed. Every case runs
// the nnc binary as real processes on the prebuilt fashion_mlp library.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/spawn_nnc.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::read_text;
using nnc::test::Result;
using nnc::test::run_nnc;
using nnc::test::start_nnc;
using nnc::test::wait_status;

// Every file under `root` with its size and a hash of its bytes; {} when root does not exist.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> files;
    if (!fs::exists(root)) return files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const std::string name = fs::relative(e.path(), root).string();
        if (!e.is_regular_file()) {
            files[name] = "folder";
            continue;
        }
        const std::string bytes = read_text(e.path());
        files[name] = std::to_string(bytes.size()) + ":" + std::to_string(std::hash<std::string>{}(bytes));
    }
    return files;
}

// The epoch numbers of the run's epoch lines, in order.
std::vector<int> epochs_logged(const fs::path& run) {
    std::vector<int> epochs;
    for (const auto& e : nnc::test::metrics_of_type(run, "epoch")) epochs.push_back(e["epoch"].get<int>());
    return epochs;
}

class RunSafety : public nnc::test::InScratchFolder {
protected:
    RunSafety() : InScratchFolder("nnc-run-safety-") {}
    const std::string mlp = NNC_FASHION_MLP_LIBRARY;
    // A few seconds of training on one thread: 55 batches an epoch, a step line every 5.
    const std::string small = " --limit 4000 --validation 500 --batch 64 --seed 5 --threads 1 --metrics-every 5";
};

// Two processes started at once on one --out, then two --resume of one run at once: each time
// exactly one trains; the other exits 1 naming the first's pid, and every epoch is logged once.
TEST_F(RunSafety, OneProcessAtATimeWritesARunFolder) {
    auto race = [&](const std::string& args, std::vector<int> want_epochs) {
        const pid_t a = start_nnc(args, path("a.log")), b = start_nnc(args, path("b.log"));
        ASSERT_GT(a, 0);
        ASSERT_GT(b, 0);
        const int sa = wait_status(a), sb = wait_status(b);
        const std::string la = read_text(path("a.log")), lb = read_text(path("b.log"));
        ASSERT_TRUE((sa == 0 && sb == 1) || (sa == 1 && sb == 0)) << sa << " " << la << "\n" << sb << " " << lb;
        const std::string& refused = sa == 1 ? la : lb;
        const pid_t winner = sa == 0 ? a : b;
        EXPECT_NE(refused.find("in use by another process (pid " + std::to_string(winner) + ")"), std::string::npos)
            << refused;
        EXPECT_EQ(epochs_logged(path("run")), want_epochs);
    };
    race("train " + mlp + small + " --epochs 2 --out " + path("run"), {1, 2});
    race("train --resume " + path("run") + " --epochs 4", {1, 2, 3, 4});
    // Once the holder has ended the folder is free again (the kernel released its lock).
    const Result more = run_nnc("train --resume " + path("run") + " --epochs 5");
    EXPECT_EQ(more.status, 0) << more.output;
}

// SIGTERM (timeout, docker stop, job schedulers) and SIGHUP (a closed terminal) in the middle of
// an epoch save last.ckpt as Ctrl-C does and exit with 128 + the signal; --resume then ends
// bit-identical to an uninterrupted run.
TEST_F(RunSafety, SigtermAndSighupSaveLastCheckpointAndResumeExactly) {
    const Result straight = run_nnc("train " + mlp + small + " --epochs 2 --out " + path("straight"));
    ASSERT_EQ(straight.status, 0) << straight.output;
    for (const auto& [signal, name] : {std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGHUP, "SIGHUP"}}) {
        SCOPED_TRACE(name);
        const fs::path run = path(name);
        const pid_t pid = start_nnc("train " + mlp + small + " --epochs 2 --out " + run.string(), path("log"));
        ASSERT_GT(pid, 0);
        EXPECT_TRUE(nnc::test::wait_for_text(run / "metrics.jsonl", "\"step\":10")) << read_text(path("log"));
        kill(pid, signal);
        const int status = wait_status(pid);
        const std::string output = read_text(path("log"));
        EXPECT_EQ(status, 128 + signal) << output;
        EXPECT_NE(output.find(std::string("interrupted (") + name + ")"), std::string::npos) << output;
        ASSERT_NE(read_text(run / "metrics.jsonl").find("\"type\":\"interrupted\""), std::string::npos);
        const Result resumed = run_nnc("train --resume " + run.string());
        ASSERT_EQ(resumed.status, 0) << resumed.output;
        EXPECT_TRUE(read_text(run / "last.ckpt") == read_text(path("straight/last.ckpt")))
            << "the interrupted-and-resumed run differs from the uninterrupted one";
    }
}

// An IDX folder whose training labels reach 12, past fashion_mlp's 10 classes (gzread reads the
// uncompressed files under their .gz names).
void write_idx_with_label(const fs::path& folder, uint8_t label) {
    fs::create_directories(folder);
    const int n = 100;
    auto be32 = [](uint32_t v) {
        return std::string{char(v >> 24), char(v >> 16 & 0xff), char(v >> 8 & 0xff), char(v & 0xff)};
    };
    for (const char* split : {"train", "t10k"}) {
        std::string images = be32(0x803) + be32(n) + be32(28) + be32(28), labels = be32(0x801) + be32(n);
        for (int i = 0; i < n; ++i) {
            images += std::string(28 * 28, char(i % 200));
            labels += char(i == n / 2 ? label : i % 10);
        }
        std::ofstream(folder / (std::string(split) + "-images-idx3-ubyte.gz"), std::ios::binary) << images;
        std::ofstream(folder / (std::string(split) + "-labels-idx1-ubyte.gz"), std::ios::binary) << labels;
    }
}

// Every refused command leaves the disk as it found it: no run folder where there was none (so
// the corrected command then runs), and an existing run's files untouched (its config.json too).
TEST_F(RunSafety, ARefusedCommandLeavesTheDiskAsItFoundIt) {
    write_idx_with_label(path("bad-labels"), 12);
    const std::vector<std::pair<std::string, std::string>> refused = {
        {small + " --epochs 0", "--epochs"},
        {small + " --epochs 99999999999999999999999", "--epochs"},
        {small + " --batch 0", "--batch"},
        {small + " --clip-norm -1", "--clip-norm"},
        {small + " --threads -1", "--threads"},
        {small + " --lr 1e300", "--lr"},
        {small + " --accumulate 0", "--accumulate"},
        {" --data " + path("bad-labels") + " --validation 10 --epochs 1", "class 12 of target 'label' is out of range"},
    };
    for (const auto& [args, said] : refused) {
        SCOPED_TRACE(args);
        const Result r = run_nnc("train " + mlp + args + " --out " + path("new"));
        EXPECT_NE(r.status, 0) << r.output;
        EXPECT_NE(r.output.find(said), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(path("new"))) << "a refused command created the run folder";
    }
    const Result ok = run_nnc("train " + mlp + small + " --epochs 1 --out " + path("new"));  // now it runs
    ASSERT_EQ(ok.status, 0) << ok.output;

    const auto before = snapshot(path("new"));
    const std::vector<std::pair<std::string, std::string>> refused_on_the_run = {
        {"train --resume " + path("new") + " --epochs 1", "has completed 1 of 1 epochs"},
        {"train --resume " + path("new") + " --epochs 0", "--epochs"},
        {"train --resume " + path("new") + " --threads -2", "--threads"},
        {"train " + mlp + small + " --out " + path("new"), "already holds a run"},
    };
    for (const auto& [command, said] : refused_on_the_run) {
        SCOPED_TRACE(command);
        const Result r = run_nnc(command);
        EXPECT_NE(r.status, 0) << r.output;
        EXPECT_NE(r.output.find(said), std::string::npos) << r.output;
        EXPECT_EQ(snapshot(path("new")), before) << "a refused command changed the run folder";
    }
}

// Each numeric option of nnc train is checked for its range while parsing: refused with the
// option and the allowed range named, nothing written; the edges of each range are accepted.
TEST_F(RunSafety, EveryNumericTrainOptionIsRangeChecked) {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"--epochs", "0"},
        {"--epochs", "99999999999999999999999"},
        {"--batch", "0"},
        {"--batch", "-3"},
        {"--lr", "0"},
        {"--lr", "1e300"},
        {"--lr", "nan"},
        {"--momentum", "1"},
        {"--momentum", "-0.1"},
        {"--weight-decay", "-1"},
        {"--weight-decay", "inf"},
        {"--warmup", "-1"},
        {"--clip-norm", "-1"},
        {"--clip-value", "inf"},
        {"--early-stopping-patience", "-1"},
        {"--accumulate", "0"},
        {"--augment-crop", "-1"},
        {"--threads", "-1"},
        {"--threads", "257"},
        {"--seed", "-1"},
        {"--seed", "99999999999999999999999"},
        {"--validation", "-5"},
        {"--metrics-every", "-1"},
        {"--limit", "0"},
        {"--sanity-samples", "0"},
        {"--parallelism", "-1"},
        {"--epochs", "2x"},
    };
    for (const auto& [option, value] : bad) {
        SCOPED_TRACE(option + " " + value);
        const Result r = run_nnc("train " + mlp + " " + option + " " + value + " --out " + path("run"));
        EXPECT_NE(r.status, 0) << r.output;
        EXPECT_NE(r.output.find(option + ": '" + value + "'"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find(" must be "), std::string::npos) << r.output;
        EXPECT_TRUE(fs::is_empty(dir_)) << "a refused option wrote something";
    }
    EXPECT_NE(run_nnc("train " + mlp + " --epochs 99999999999999999999999")
                  .output.find("out of range: it must be a whole number from 1 to 9223372036854775807"),
              std::string::npos);
    // A momentum of 1 would never forget a gradient: refused here, on any optimizer, with the range.
    const Result momentum = run_nnc("train " + mlp + " --optimizer sgd --momentum 1 --out " + path("run"));
    EXPECT_NE(momentum.status, 0) << momentum.output;
    EXPECT_NE(momentum.output.find("--momentum: '1' is out of range: it must be in [0, 1)"), std::string::npos)
        << momentum.output;
    EXPECT_TRUE(fs::is_empty(dir_)) << "a refused option wrote something";
    // The edges are accepted.
    const Result edges = run_nnc("train " + mlp +
                                 " --limit 2000 --validation 200 --epochs 1 --batch 1000 --accumulate 1 --threads 1 "
                                 "--seed 18446744073709551615 --warmup 0 --clip-norm 0 --early-stopping-patience 0 "
                                 "--optimizer sgd --momentum 0.999 --weight-decay 0 "
                                 "--metrics-every 0 --out " +
                                 path("edges"));
    EXPECT_EQ(edges.status, 0) << edges.output;
}

// A writer killed while saving leaves `<file>.tmp.<pid>`; opening the folder to write removes
// those of dead writers and leaves a live writer's alone.
TEST_F(RunSafety, OpeningARunRemovesDeadWritersTemporariesOnly) {
    const Result first = run_nnc("train " + mlp + small + " --epochs 1 --out " + path("run"));
    ASSERT_EQ(first.status, 0) << first.output;
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    ASSERT_EQ(wait_status(dead), 0);
    const pid_t sleeper = fork();
    if (sleeper == 0) {
        execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
        _exit(127);
    }
    const fs::path dead_tmp = path("run/last.ckpt.tmp." + std::to_string(dead));
    const fs::path live_tmp = path("run/best.ckpt.tmp." + std::to_string(sleeper));
    std::ofstream(dead_tmp) << "half a checkpoint";
    std::ofstream(live_tmp) << "a checkpoint being written";

    const Result resumed = run_nnc("train --resume " + path("run") + " --epochs 2");
    kill(sleeper, SIGKILL);
    wait_status(sleeper);
    ASSERT_EQ(resumed.status, 0) << resumed.output;
    EXPECT_FALSE(fs::exists(dead_tmp)) << "the dead writer's temporary was left";
    EXPECT_TRUE(fs::exists(live_tmp)) << "a live writer's temporary was removed";
    EXPECT_NE(resumed.output.find("removed " + dead_tmp.string()), std::string::npos) << resumed.output;
}

}  // namespace
