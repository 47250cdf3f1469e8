// nnc train / eval / predict on the data users have: CSV and .npy files, run folders, Ctrl-C and
// --resume (bit-identical to an uninterrupted run), standardized regression predicted in the
// user's units, and every bad input rejected with the file and place named and nothing written.
#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/e2e/npy_file.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/spawn_nnc.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;

using nnc::test::read_text;
using nnc::test::Result;
using nnc::test::write_npy;
using nnc::test::write_text;
Result run(const std::string& args) { return nnc::test::run_nnc(args); }

// y = 200 x0 - 50 x1 + 3 x2 + 1000: far from unit scale, learnable only with standardization
// in a few epochs.
float truth(float x0, float x1, float x2) { return 200 * x0 - 50 * x1 + 3 * x2 + 1000; }

const char* kRegressionModel = R"(model lin_reg {
  input  x: [3]
  target y: [1]

  h   = dense(x, 16, init=he_normal)
  a   = relu(h)
  out = dense(a, 1)

  loss = mse(out, y)

  train {
    optimizer  = adam(lr=1e-2)
    batch      = 32
    epochs     = 40
    seed       = 1
    validation = 0
  }
}
)";

class CliData : public nnc::test::InScratchFolder {
protected:
    CliData() : InScratchFolder("nnc-cli-data-") {}

    // rows of x0,x1,x2[,y] from a fixed LCG.
    std::string csv(int rows, uint32_t seed, bool with_target, std::vector<std::array<float, 3>>* xs = nullptr) {
        uint32_t s = seed;
        auto next = [&] {
            s = s * 1664525u + 1013904223u;
            // Two decimals, read back as a CSV reader would: the .npy twin holds the same floats.
            char text[16];
            std::snprintf(text, sizeof text, "%.2f", static_cast<double>((s >> 8) % 1000) / 100.0 - 5.0);
            return std::strtof(text, nullptr);
        };
        std::string text = with_target ? "x0,x1,x2,y\n" : "x0,x1,x2\n";
        char line[128];
        for (int i = 0; i < rows; ++i) {
            const float a = next(), b = next(), c = next();
            if (with_target)
                std::snprintf(line, sizeof line, "%.2f,%.2f,%.2f,%.3f\n", a, b, c, truth(a, b, c));
            else
                std::snprintf(line, sizeof line, "%.2f,%.2f,%.2f\n", a, b, c);
            text += line;
            if (xs) xs->push_back({a, b, c});
        }
        return text;
    }

    const std::string mlp = NNC_FASHION_MLP_LIBRARY;
};

TEST_F(CliData, EverySubcommandHasACompleteHelp) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
        {"train",
         {"--data", "--target", "--features", "--validation-data", "--validation-target", "--standardize", "--out",
          "--resume", "--metrics-every", "--epochs", "--batch", "--lr", "--optimizer", "--schedule", "--threads",
          "--seed", "--save", "--load", "130"}},
        {"eval", {"--weights", "--data", "--target", "--features", "--batch", "t10k"}},
        {"predict", {"--weights", "--input", "--output", "--features", "--batch", ".npy", ".csv"}},
    };
    for (const auto& [command, options] : expected) {
        const Result r = run(command + " --help");
        EXPECT_EQ(r.status, 0) << r.output;
        for (const std::string& o : options)
            EXPECT_NE(r.output.find(o), std::string::npos) << command << " --help lacks " << o;
    }
}

// The data options are one definition: the same names on every command that trains, with the
// shorter --val/--val-target spellings accepted everywhere as well.
TEST_F(CliData, EveryTrainingCommandTakesTheSameDataOptions) {
    for (const std::string command : {"train", "tune", "lr-find"}) {
        const Result r = run(command + " --help");
        EXPECT_EQ(r.status, 0) << r.output;
        for (const char* o : {"--data", "--target", "--features", "--standardize", "--limit"})
            EXPECT_NE(r.output.find(o), std::string::npos) << command << " --help lacks " << o;
        if (command == "lr-find") continue;  // the training split only: no validation set
        for (const char* o : {"--validation-data", "--val", "--validation-target", "--val-target"})
            EXPECT_NE(r.output.find(o), std::string::npos) << command << " --help lacks " << o;
    }
}

// 2 epochs straight == 1 epoch, then --resume to 2: the same last.ckpt, byte for byte.
TEST_F(CliData, ResumedRunIsBitIdentical) {
    const std::string common = " --limit 2000 --validation 200 --seed 3 --threads 1 --metrics-every 5";
    Result a = run("train " + mlp + common + " --epochs 2 --out " + path("a"));
    ASSERT_EQ(a.status, 0) << a.output;
    Result b = run("train " + mlp + common + " --epochs 1 --out " + path("b"));
    ASSERT_EQ(b.status, 0) << b.output;
    Result c = run("train --resume " + path("b") + " --epochs 2");
    ASSERT_EQ(c.status, 0) << c.output;
    EXPECT_NE(c.output.find("resuming fashion_mlp"), std::string::npos) << c.output;
    const std::string last_a = read_text(dir_ / "a" / "last.ckpt"), last_b = read_text(dir_ / "b" / "last.ckpt");
    ASSERT_FALSE(last_a.empty());
    EXPECT_TRUE(last_a == last_b) << "the resumed run's checkpoint differs from the uninterrupted run's";
    // The run folder: config, metrics per step and per epoch, both checkpoints.
    for (const char* f : {"config.json", "metrics.jsonl", "last.ckpt", "best.ckpt"})
        EXPECT_TRUE(fs::exists(dir_ / "a" / f)) << f;
    const std::string metrics = read_text(dir_ / "a" / "metrics.jsonl");
    for (const char* key : {"\"type\":\"step\"", "\"type\":\"epoch\"", "\"grad_norm\"", "\"lr\"", "\"samples_per_s\"",
                            "\"wall_s\"", "\"val_accuracy\"", "\"task_losses\""})
        EXPECT_NE(metrics.find(key), std::string::npos) << key;
    // Nothing else may change on --resume; a finished run says how to go on.
    Result d = run("train --resume " + path("b") + " --lr 0.1");
    EXPECT_EQ(d.status, 1);
    EXPECT_NE(d.output.find("cannot take --lr"), std::string::npos) << d.output;
    Result e = run("train --resume " + path("b"));
    EXPECT_EQ(e.status, 1);
    EXPECT_NE(e.output.find("has completed 2 of 2 epochs"), std::string::npos) << e.output;
    Result f = run("train --resume " + path("nowhere"));
    EXPECT_EQ(f.status, 1);
    EXPECT_NE(f.output.find("it has no config.json"), std::string::npos) << f.output;
}

// Ctrl-C in the middle of an epoch: last.ckpt at that batch, exit status 130; --resume finishes
// the run with exactly the parameters of an uninterrupted one.
TEST_F(CliData, CtrlCSavesACheckpointAndResumeFinishesExactly) {
    const std::string common =
        " --limit 12000 --validation 1000 --epochs 2 --batch 32 --seed 5 --threads 1 --metrics-every 10";
    Result straight = run("train " + mlp + common + " --out " + path("straight"));
    ASSERT_EQ(straight.status, 0) << straight.output;

    const std::string log = path("interrupted.log");
    const pid_t child = nnc::test::start_nnc("train " + mlp + common + " --out " + path("run"), log);
    ASSERT_GT(child, 0);
    // Wait for the second step line of epoch 1, then interrupt.
    const bool running = nnc::test::wait_for_text(dir_ / "run" / "metrics.jsonl", "\"step\":20");
    kill(child, SIGINT);
    const int status = nnc::test::wait_status(child);
    const std::string output = read_text(log);
    ASSERT_TRUE(running) << output;
    EXPECT_EQ(status, 130) << output;
    EXPECT_NE(output.find("continue with: nnc train --resume " + path("run")), std::string::npos) << output;
    const std::string metrics = read_text(dir_ / "run" / "metrics.jsonl");
    ASSERT_NE(metrics.find("\"type\":\"interrupted\""), std::string::npos) << metrics;

    // The checkpoint loads (nnc eval), and the resumed run ends where the straight one did.
    Result ev =
        run("eval " + mlp + " --weights " + path("run/last.ckpt") + " --data /usr/share/datasets/fashion-mnist");
    EXPECT_EQ(ev.status, 0) << ev.output;
    EXPECT_NE(ev.output.find("accuracy"), std::string::npos) << ev.output;
    Result resumed = run("train --resume " + path("run"));
    ASSERT_EQ(resumed.status, 0) << resumed.output;
    EXPECT_TRUE(read_text(dir_ / "run" / "last.ckpt") == read_text(dir_ / "straight" / "last.ckpt"))
        << "the interrupted-and-resumed run differs from the uninterrupted one";
}

// CSV regression: train with a validation file, evaluate, predict to CSV and .npy in the user's
// units (the target standardization undone); .npy training data too.
TEST_F(CliData, CsvRegressionTrainsEvaluatesAndPredictsInUserUnits) {
    write_text(dir_ / "lin_reg.nn", kRegressionModel);
    write_text(dir_ / "train.csv", csv(600, 1, true));
    write_text(dir_ / "val.csv", csv(100, 2, true));
    std::vector<std::array<float, 3>> xs;
    write_text(dir_ / "inputs.csv", csv(20, 3, false, &xs));
    const std::string model = path("lin_reg.nn");

    Result t = run("train " + model + " --data " + path("train.csv") + " --target y --validation-data " +
                   path("val.csv") + " --out " + path("run"));
    ASSERT_EQ(t.status, 0) << t.output;
    EXPECT_NE(t.output.find("standardized: inputs regression targets"), std::string::npos) << t.output;
    EXPECT_TRUE(fs::exists(dir_ / "run" / "best.ckpt"));

    Result e =
        run("eval " + model + " --weights " + path("run/best.ckpt") + " --data " + path("val.csv") + " --target y");
    ASSERT_EQ(e.status, 0) << e.output;
    EXPECT_NE(e.output.find("samples 100  loss"), std::string::npos) << e.output;

    Result p = run("predict " + model + " --weights " + path("run/best.ckpt") + " --input " + path("inputs.csv") +
                   " --output " + path("pred.csv"));
    ASSERT_EQ(p.status, 0) << p.output;
    std::ifstream in(dir_ / "pred.csv");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "y");
    double worst = 0;
    for (const auto& x : xs) {
        ASSERT_TRUE(std::getline(in, line));
        worst = std::max(worst, std::fabs(std::stod(line) - truth(x[0], x[1], x[2])));
    }
    EXPECT_LT(worst, 60.0) << "predictions are not in the target's units (values near 1000, spread ~1000)";

    Result q = run("predict " + model + " --weights " + path("run/best.ckpt") + " --input " + path("inputs.csv") +
                   " --output " + path("pred.npy"));
    ASSERT_EQ(q.status, 0) << q.output;
    const std::string npy = read_text(dir_ / "pred.npy");
    ASSERT_GT(npy.size(), 128u);
    EXPECT_EQ(npy.substr(0, 6), "\x93NUMPY");
    EXPECT_NE(npy.find("'shape': (20, 1)"), std::string::npos);

    // The same data as .npy files.
    std::vector<float> x, y;
    for (const auto& r : xs) {
        x.insert(x.end(), r.begin(), r.end());
        y.push_back(truth(r[0], r[1], r[2]));
    }
    write_npy(dir_ / "x.npy", {20, 3}, x);
    write_npy(dir_ / "y.npy", {20, 1}, y);
    Result n = run("train " + model + " --data " + path("x.npy") + " --target " + path("y.npy") +
                   " --epochs 2 --batch 8 --out " + path("npy_run"));
    EXPECT_EQ(n.status, 0) << n.output;
    Result pn = run("predict " + model + " --weights " + path("run/best.ckpt") + " --input " + path("x.npy") +
                    " --output " + path("pred2.csv"));
    ASSERT_EQ(pn.status, 0) << pn.output;
    EXPECT_EQ(read_text(dir_ / "pred2.csv"), read_text(dir_ / "pred.csv"));
}

// Every bad input: a clear error naming the file and the place, a non-zero exit, nothing written.
TEST_F(CliData, BadInputsNameTheFileAndWriteNothing) {
    write_text(dir_ / "lin_reg.nn", kRegressionModel);
    const std::string model = path("lin_reg.nn");
    write_text(dir_ / "bad.csv", "x0,x1,x2,y\n1,2,3,4\n1,two,3,4\n");
    Result a = run("train " + model + " --data " + path("bad.csv") + " --target y --out " + path("run"));
    EXPECT_EQ(a.status, 1);
    EXPECT_NE(a.output.find(path("bad.csv") + ":3:3:"), std::string::npos) << a.output;
    EXPECT_FALSE(fs::exists(dir_ / "run"));

    write_text(dir_ / "train.csv", csv(50, 1, true));
    Result b = run("train " + model + " --data " + path("train.csv") + " --target why --out " + path("run"));
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.output.find("why"), std::string::npos) << b.output;
    Result c = run("train " + model + " --data " + path("train.csv") + " --out " + path("run"));
    EXPECT_EQ(c.status, 1);
    EXPECT_NE(c.output.find("--target"), std::string::npos) << c.output;
    EXPECT_FALSE(fs::exists(dir_ / "run"));

    ASSERT_EQ(
        run("train " + model + " --data " + path("train.csv") + " --target y --epochs 1 --out " + path("ok")).status,
        0);
    const std::string weights = " --weights " + path("ok/last.ckpt");
    write_text(dir_ / "wide.csv", "a,b,c,d\n1,2,3,4\n");
    Result d = run("predict " + model + weights + " --input " + path("wide.csv") + " --output " + path("out.csv"));
    EXPECT_EQ(d.status, 1);
    EXPECT_NE(d.output.find("4 feature column(s)"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("wide.csv"), std::string::npos) << d.output;
    write_npy(dir_ / "nan.npy", {2, 3}, std::vector<float>{1, 2, 3, 4, NAN, 6});
    Result e = run("predict " + model + weights + " --input " + path("nan.npy") + " --output " + path("out.csv"));
    EXPECT_EQ(e.status, 1);
    EXPECT_NE(e.output.find("nan.npy' at byte offset 144: element 4 is NaN"), std::string::npos) << e.output;
    write_text(dir_ / "x.csv", "x0,x1,x2\n1,2,3\n");
    Result f = run("predict " + model + weights + " --input " + path("x.csv") + " --output " + path("out.txt"));
    EXPECT_EQ(f.status, 1);
    EXPECT_NE(f.output.find("must end in .npy or .csv"), std::string::npos) << f.output;
    Result g = run("predict " + model + " --weights " + path("missing.ckpt") + " --input " + path("x.csv") +
                   " --output " + path("out.csv"));
    EXPECT_EQ(g.status, 1);
    EXPECT_NE(g.output.find("missing.ckpt"), std::string::npos) << g.output;
    write_text(dir_ / "torn.ckpt", read_text(dir_ / "ok" / "last.ckpt").substr(0, 100));
    Result h =
        run("eval " + model + " --weights " + path("torn.ckpt") + " --data " + path("train.csv") + " --target y");
    EXPECT_EQ(h.status, 1);
    EXPECT_NE(h.output.find("torn.ckpt' at byte offset"), std::string::npos) << h.output;
    for (const char* f : {"out.csv", "out.txt"}) EXPECT_FALSE(fs::exists(dir_ / f)) << f;
}

}  // namespace
