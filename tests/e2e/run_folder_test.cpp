// Run folders are self-contained: after a real run that stops early, best.ckpt holds the epoch the
// run keeps (and says so), `nnc eval`/`predict` take the folder or a checkpoint in it and give the
// numbers the model file with --weights gives, and `nnc export-npz` round-trips and leaves no file
// when it fails. Also the small things a newcomer meets: each task's loss on a multi-task epoch
// line, "1 epoch", a C program that finds its model.so, compare_torch.py without nnc on PATH.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/metrics_log.h"
#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"
#include "tests/e2e/text_file.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using nnc::test::read_text;
using nnc::test::Result;
using nnc::test::run_shell;
using nnc::test::write_text;

Result run(const std::string& args) { return nnc::test::run_nnc(args); }

// A wide regressor on 40 noisy samples: the validation loss falls for a few epochs, then rises
// as it memorizes the noise, so early stopping ends the run well before its 60 epochs.
const char* kRegressor = R"(model reg {
  input  x: [3]
  target y: [1]

  h   = dense(x, 64)
  a   = relu(h)
  out = dense(a, 1)

  loss = mse(out, y)

  train {
    optimizer  = adam(lr=3e-2)
    batch      = 8
    epochs     = 60
    seed       = 3
    validation = 0
  }
}
)";

const char* kTwoTasks = R"(model two_tasks {
  input  x: [3]
  target label: classes(3)
  target value: [1]

  h = dense(x, 16)
  a = relu(h)
  logits = dense(a, 3)
  level  = dense(a, 1)

  loss classify = softmax_cross_entropy(logits, label)
  loss regress  = mse(level, value, weight=0.5)

  train {
    optimizer = adam(lr=1e-2)
    batch     = 16
    epochs    = 1
  }
}
)";

// rows of x0,x1,x2[,y]: y a smooth function of x plus noise of the same size.
std::string regression_csv(int rows, uint32_t seed, bool with_target) {
    uint32_t s = seed;
    auto next = [&] {
        s = s * 1664525u + 1013904223u;
        return static_cast<double>((s >> 8) % 2000) / 500.0 - 2.0;  // [-2, 2)
    };
    std::string text = with_target ? "x0,x1,x2,y\n" : "x0,x1,x2\n";
    char line[160];
    for (int i = 0; i < rows; ++i) {
        const double a = next(), b = next(), c = next(), noise = next() * 0.5;
        if (with_target)
            std::snprintf(line, sizeof line, "%.3f,%.3f,%.3f,%.4f\n", a, b, c, 0.8 * a - 0.5 * b * c + noise);
        else
            std::snprintf(line, sizeof line, "%.3f,%.3f,%.3f\n", a, b, c);
        text += line;
    }
    return text;
}

// One early-stopped run, trained once for every test here.
class RunFolder : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        ::setenv("XDG_CACHE_HOME", NNC_TEST_CACHE, 1);  // compiled .nn files stay out of the user's cache
        folder.emplace("nnc-run-folder-" + std::to_string(::getpid()));
        dir = folder->dir();
        write_text(dir / "reg.nn", kRegressor);
        write_text(dir / "train.csv", regression_csv(40, 1, true));
        write_text(dir / "val.csv", regression_csv(200, 2, true));
        write_text(dir / "inputs.csv", regression_csv(25, 3, false));
        compiled = run(p("reg.nn") + " -o " + p("reg.so"));
        // No standardization: an .npz holds the parameters only, and must predict the same.
        training = run("train " + p("reg.so") + " --data " + p("train.csv") + " --target y --validation-data " +
                       p("val.csv") + " --standardize none --early-stopping-patience 3 --out " + p("run"));
    }
    static void TearDownTestSuite() { folder.reset(); }

    void SetUp() override {
        ASSERT_EQ(compiled.status, 0) << compiled.output;
        ASSERT_EQ(training.status, 0) << training.output;
    }

    static std::string p(const std::string& name) { return folder->path(name); }

    // The run's metrics.jsonl lines of `type`.
    static std::vector<json> lines(const std::string& type) { return nnc::test::metrics_of_type(dir / "run", type); }

    // The loss that `nnc eval` printed ("samples 200  loss 0.123456").
    static double eval_loss(const Result& r) {
        std::smatch m;
        if (!std::regex_search(r.output, m, std::regex("samples [0-9]+  loss ([0-9.e+-]+)"))) return NAN;
        return std::stod(m[1]);
    }

    static inline std::optional<nnc::test::ScratchFolder> folder;
    static inline fs::path dir;
    static inline Result compiled, training;
};

TEST_F(RunFolder, EarlyStoppedRunKeepsItsBestEpochInBestCkptAndEvalUsesIt) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(training.output, m, std::regex("no improvement since epoch ([0-9]+)")))
        << "the run did not stop early:\n"
        << training.output;
    const int kept = std::stoi(m[1]);
    const std::vector<json> epochs = lines("epoch");
    const int last = epochs.back()["epoch"];
    ASSERT_GT(last, kept);
    ASSERT_LT(last, 60);
    const double kept_val = epochs[static_cast<size_t>(kept - 1)]["val_loss"];
    const double last_val = epochs.back()["val_loss"];
    ASSERT_NE(kept_val, last_val);

    // metrics.jsonl says which epoch best.ckpt holds; so does the end of the run.
    const std::vector<json> saved = lines("checkpoint");
    ASSERT_FALSE(saved.empty());
    EXPECT_EQ(saved.back()["file"], "best.ckpt");
    EXPECT_EQ(saved.back()["epoch"], kept);
    EXPECT_EQ(saved.back()["monitor"], "val_loss");
    EXPECT_NE(training.output.find(p("run") + "/best.ckpt: epoch " + std::to_string(kept) + ", the best val_loss"),
              std::string::npos)
        << training.output;
    EXPECT_NE(training.output.find(p("run") + "/last.ckpt: epoch " + std::to_string(last) + ", the latest"),
              std::string::npos)
        << training.output;

    // nnc eval RUN: the kept weights, best.ckpt, with the run's --target; its loss is the kept
    // epoch's validation loss, not the last epoch's.
    const Result best = run("eval " + p("run") + " --data " + p("val.csv"));
    ASSERT_EQ(best.status, 0) << best.output;
    EXPECT_NE(best.output.find("weights: " + p("run") + "/best.ckpt (epoch " + std::to_string(kept)), std::string::npos)
        << best.output;
    EXPECT_NEAR(eval_loss(best), kept_val, 1e-4 * kept_val) << best.output;
    const Result latest = run("eval " + p("run") + " --weights last.ckpt --data " + p("val.csv"));
    ASSERT_EQ(latest.status, 0) << latest.output;
    EXPECT_NE(latest.output.find("(epoch " + std::to_string(last) + ", the latest)"), std::string::npos)
        << latest.output;
    EXPECT_NEAR(eval_loss(latest), last_val, 1e-4 * last_val) << latest.output;
}

TEST_F(RunFolder, EvalAndPredictFromTheFolderMatchTheModelWithWeights) {
    const std::string data = " --data " + p("val.csv");
    for (const char* ckpt : {"best.ckpt", "last.ckpt"}) {
        SCOPED_TRACE(ckpt);
        const std::string weights = p("run") + "/" + ckpt;
        const Result explicit_eval = run("eval " + p("reg.so") + " --weights " + weights + data + " --target y");
        const Result in_folder = run("eval " + weights + data);
        ASSERT_EQ(explicit_eval.status, 0) << explicit_eval.output;
        ASSERT_EQ(in_folder.status, 0) << in_folder.output;
        EXPECT_FALSE(std::isnan(eval_loss(in_folder)));
        EXPECT_EQ(eval_loss(in_folder), eval_loss(explicit_eval));

        const std::string input = " --input " + p("inputs.csv") + " --output ";
        ASSERT_EQ(run("predict " + p("reg.so") + " --weights " + weights + input + p("explicit.csv")).status, 0);
        const Result pr = run("predict " + weights + input + p("from_ckpt.csv"));
        ASSERT_EQ(pr.status, 0) << pr.output;
        const std::string predictions = read_text(dir / "explicit.csv");
        EXPECT_EQ(read_text(dir / "from_ckpt.csv"), predictions);
        EXPECT_EQ(std::count(predictions.begin(), predictions.end(), '\n'), 26);  // a header and 25 rows
    }
    const Result folder = run("predict " + p("run") + " --input " + p("inputs.csv") + " --output " + p("folder.csv"));
    ASSERT_EQ(folder.status, 0) << folder.output;
    ASSERT_EQ(run("predict " + p("reg.so") + " --weights " + p("run/best.ckpt") + " --input " + p("inputs.csv") +
                  " --output " + p("best.csv"))
                  .status,
              0);
    EXPECT_EQ(read_text(dir / "folder.csv"), read_text(dir / "best.csv"));
    // A CSV with the run's target column still in it: the run knows which column that is.
    const Result with_targets =
        run("predict " + p("run") + " --input " + p("val.csv") + " --output " + p("val_pred.csv"));
    ASSERT_EQ(with_targets.status, 0) << with_targets.output;
    ASSERT_EQ(run("predict " + p("reg.so") + " --weights " + p("run/best.ckpt") + " --input " + p("val.csv") +
                  " --features x0,x1,x2 --output " + p("val_features.csv"))
                  .status,
              0);
    EXPECT_EQ(read_text(dir / "val_pred.csv"), read_text(dir / "val_features.csv"));

    // What cannot be resolved says what to pass.
    fs::create_directories(dir / "not_a_run");
    const Result a = run("eval " + p("not_a_run") + data);
    EXPECT_EQ(a.status, 1);
    EXPECT_NE(a.output.find("not a run folder"), std::string::npos) << a.output;
    const Result b = run("eval " + p("reg.so") + data + " --target y");
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.output.find("--weights"), std::string::npos) << b.output;
}

TEST_F(RunFolder, ExportNpzRoundTripsAndAFailureLeavesNoFile) {
    const Result ex = run("export-npz " + p("run") + " -o " + p("w.npz"));
    ASSERT_EQ(ex.status, 0) << ex.output;
    EXPECT_EQ(read_text(dir / "w.npz").substr(0, 2), "PK");
    const std::string input = " --input " + p("inputs.csv") + " --output ";
    ASSERT_EQ(run("predict " + p("run") + input + p("ckpt.csv")).status, 0);
    const Result back = run("predict " + p("reg.so") + " --weights " + p("w.npz") + input + p("npz.csv"));
    ASSERT_EQ(back.status, 0) << back.output;
    EXPECT_EQ(read_text(dir / "npz.csv"), read_text(dir / "ckpt.csv"));

    // A checkpoint outside a run folder needs its model.
    fs::copy_file(dir / "run" / "last.ckpt", dir / "loose.ckpt", fs::copy_options::overwrite_existing);
    const Result no_model = run("export-npz " + p("loose.ckpt") + " -o " + p("loose.npz"));
    EXPECT_EQ(no_model.status, 1);
    EXPECT_NE(no_model.output.find("MODEL --weights"), std::string::npos) << no_model.output;
    EXPECT_FALSE(fs::exists(dir / "loose.npz"));
    ASSERT_EQ(run("export-npz " + p("loose.ckpt") + " --model " + p("reg.so") + " -o " + p("loose.npz")).status, 0);
    ASSERT_EQ(run("predict " + p("run") + " --weights last.ckpt" + input + p("last.csv")).status, 0);
    ASSERT_EQ(run("predict " + p("reg.so") + " --weights " + p("loose.npz") + input + p("loose.csv")).status, 0);
    EXPECT_EQ(read_text(dir / "loose.csv"), read_text(dir / "last.csv"));

    // Failures: a wrong name, a torn checkpoint, a folder that does not exist. Nothing is written,
    // and an existing file is left as it was.
    EXPECT_EQ(run("export-npz " + p("run") + " -o " + p("w.txt")).status, 1);
    EXPECT_FALSE(fs::exists(dir / "w.txt"));
    write_text(dir / "torn.ckpt", read_text(dir / "run" / "last.ckpt").substr(0, 200));
    write_text(dir / "keep.npz", "old");
    const Result torn = run("export-npz " + p("torn.ckpt") + " --model " + p("reg.so") + " -o " + p("keep.npz"));
    EXPECT_EQ(torn.status, 1);
    EXPECT_NE(torn.output.find("torn.ckpt' at byte offset"), std::string::npos) << torn.output;
    EXPECT_EQ(read_text(dir / "keep.npz"), "old");
    EXPECT_EQ(run("export-npz " + p("run") + " -o " + p("missing/w.npz")).status, 1);
    EXPECT_FALSE(fs::exists(dir / "missing"));
    for (const auto& e : fs::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

// Each task's loss beside the sum, on the training and the validation side; "1 epoch".
TEST_F(RunFolder, MultiTaskEpochLineShowsEachLoss) {
    write_text(dir / "two_tasks.nn", kTwoTasks);
    std::ofstream csv(dir / "two_tasks.csv");
    csv << "x0,x1,x2,label,value\n";
    for (int i = 0; i < 96; ++i) csv << i % 7 << "," << i % 5 << "," << i % 3 << "," << i % 3 << "," << i % 4 << "\n";
    csv.close();
    const Result r = run("train " + p("two_tasks.nn") + " --data " + p("two_tasks.csv") +
                         " --target label,value --validation 16 --out " + p("two_run"));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(
        std::regex_search(r.output, std::regex("epoch 1/1  train loss [0-9.]+ \\(classify [0-9.]+, regress [0-9.]+\\).*"
                                               "  val loss [0-9.]+ \\(classify [0-9.]+, regress [0-9.]+\\)")))
        << r.output;
    EXPECT_NE(r.output.find(", 1 epoch, seed"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("1 epochs"), std::string::npos) << r.output;
}

// The command README.md and the generated header give: the program finds model.so beside it,
// from any working directory. Without the rpath it would not start.
TEST_F(RunFolder, CProgramBuiltAsDocumentedFindsItsModel) {
    const std::string header = read_text(dir / "reg.h");
    ASSERT_NE(header.find("cc app.c -I. reg.so -Wl,-rpath,'$ORIGIN'"), std::string::npos) << header.substr(0, 600);
    const fs::path app = dir / "app";
    fs::create_directories(app);
    fs::copy_file(dir / "reg.so", app / "reg.so", fs::copy_options::overwrite_existing);
    fs::copy_file(dir / "reg.h", app / "reg.h", fs::copy_options::overwrite_existing);
    write_text(app / "app.c",
               "#include <stdio.h>\n#include \"reg.h\"\n"
               "int main(void) {\n  nnc_model* m = NULL;\n  if (nnc_model_create(&m) != NNC_OK) return 2;\n"
               "  printf(\"model %s, %lld inputs\\n\", nnc_model_name(m), (long long)nnc_model_input_size(m));\n"
               "  nnc_model_destroy(m);\n  return 0;\n}\n");
    const std::string cd = "cd '" + app.string() + "' && ";
    const Result built = run_shell(cd + "cc app.c -I. reg.so -Wl,-rpath,'$ORIGIN' -o app");
    ASSERT_EQ(built.status, 0) << built.output;
    const Result ran = run_shell("cd / && '" + (app / "app").string() + "'");
    EXPECT_EQ(ran.status, 0) << ran.output;
    EXPECT_NE(ran.output.find("model reg, 3 inputs"), std::string::npos) << ran.output;
    ASSERT_EQ(run_shell(cd + "cc app.c -I. reg.so -o app_without_rpath").status, 0);
    EXPECT_NE(run_shell("cd / && '" + (app / "app_without_rpath").string() + "'").status, 0);
}

// compare_torch.py finds torch_graph.py from its own checkout, with no nnc on PATH, and from --nnc.
TEST(CompareTorch, FindsTorchGraphWithoutNncOnPath) {
    const nnc::test::ScratchFolder scratch("nnc-compare-torch-" + std::to_string(::getpid()));
    const fs::path& work = scratch.dir();
    const Result t = run("train " + std::string(NNC_FASHION_MLP_LIBRARY) +
                         " --limit 512 --validation 64 --epochs 1 --out " + (work / "run").string());
    ASSERT_EQ(t.status, 0) << t.output;
    const std::string script = std::string(NNC_SOURCE_DIR) + "/samples/apps/compare_torch.py";
    const std::string args = " " + std::string(NNC_FASHION_MLP_LIBRARY) + " " + NNC_FASHION_MLP_GRAPH_JSON + " " +
                             (work / "run" / "last.ckpt").string() + " --count 32";
    const Result plain = run_shell("env PATH=/usr/bin:/bin /usr/bin/python3 " + script + args);
    EXPECT_EQ(plain.status, 0) << plain.output;
    EXPECT_NE(plain.output.find("32 images: max |nnc - torch|"), std::string::npos) << plain.output;
    const Result with_nnc =
        run_shell("env PATH=/usr/bin:/bin /usr/bin/python3 " + script + args + " --nnc " + NNC_BINARY);
    EXPECT_EQ(with_nnc.status, 0) << with_nnc.output;
}

}  // namespace
