// Pipelines compiled as stages (codegen/lower/staged_lowering.h) must compute exactly what single
// pipelines compute: the same model is built both ways, given the same weights and batch,
// and every loss, prediction, gradient and new running statistic of a training step, and the
// inference outputs and evaluation losses, are compared. The model crosses
// stage boundaries with everything that makes staging hard: a residual add whose two operands
// come from different stages, batch norm (statistics recomputed in a backward stage), max-pool
// (argmax recomputed), dropout (mask redrawn from the seed, at its declared and at a run-time
// rate: every stage reads the dropout_rates argument) and two weighted losses.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nnc/nnc.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/run_nnc.h"
#include "tests/e2e/scratch_folder.h"

namespace {
namespace fs = std::filesystem;

const char* kModel = R"(
model staged {
  input  image: [3, 10, 10]
  target label: classes(5)
  target level: [1]

  c0   = conv2d(image, 8, bias=false)
  b0   = batchnorm(c0)
  r0   = relu(b0)
  c1   = conv2d(r0, 8)
  r1   = relu(c1)
  c2   = conv2d(r1, 8, bias=false)
  b2   = batchnorm(c2)
  sum  = add(b2, r0)
  r2   = relu(sum)
  p    = maxpool2d(r2, 2)
  d    = dropout(p, 0.25)
  f    = flatten(d)
  h    = dense(f, 16)
  hr   = relu(h)
  out  = dense(hr, 5)
  lvl  = dense(hr, 1)

  loss classify = softmax_cross_entropy(out, label)
  loss regress  = mse(lvl, level, weight=0.5)

  train {
    optimizer = sgd(lr=0.01)
    batch     = 8
  }
}
)";

// One compiled model library, opened privately so that two builds of one model coexist.
struct Library {
    void* handle = nullptr;
    explicit Library(const fs::path& path) { handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL); }
    ~Library() {
        if (handle) dlclose(handle);
    }
    template <typename F>
    F* fn(const char* name) const {
        return reinterpret_cast<F*>(dlsym(handle, name));
    }
};

struct Results {
    float loss = 0;
    std::vector<float> task_losses = std::vector<float>(2);
    std::vector<std::vector<float>> params;   // gradients of trainables, new values of states
    std::vector<float> probabilities, level;  // inference outputs of the two heads
    double eval_loss = 0, eval_accuracy = 0;
    std::vector<double> eval_task_losses = std::vector<double>(2);
};

// `dropout_rate` < 0: the declared rate.
Results gradients(const Library& lib, const std::vector<float>& image, const std::vector<int32_t>& label,
                  const std::vector<float>& level, int64_t batch, double dropout_rate) {
    Results r;
    nnc_model* m = nullptr;
    EXPECT_EQ(lib.fn<decltype(nnc_model_create)>("nnc_model_create")(&m), NNC_OK);
    EXPECT_EQ(lib.fn<decltype(nnc_model_init)>("nnc_model_init")(m, 99), NNC_OK);
    if (dropout_rate >= 0) {
        EXPECT_EQ(lib.fn<decltype(nnc_model_set_dropout_rate)>("nnc_model_set_dropout_rate")(m, 0, dropout_rate),
                  NNC_OK);
    }
    const void* targets[] = {label.data(), level.data()};
    EXPECT_EQ(lib.fn<decltype(nnc_model_compute_gradients_multi)>("nnc_model_compute_gradients_multi")(
                  m, image.data(), targets, batch, &r.loss, r.task_losses.data()),
              NNC_OK)
        << lib.fn<decltype(nnc_last_error)>("nnc_last_error")();
    const int n = lib.fn<decltype(nnc_model_num_params)>("nnc_model_num_params")(m);
    for (int p = 0; p < n; ++p) {
        const int64_t count = lib.fn<decltype(nnc_model_param_count)>("nnc_model_param_count")(m, p);
        std::vector<float> g(static_cast<size_t>(count));
        EXPECT_EQ(lib.fn<decltype(nnc_model_get_grad)>("nnc_model_get_grad")(m, p, g.data(), count), NNC_OK);
        r.params.push_back(std::move(g));
    }
    // Inference mode: forward (both heads) and evaluation over a dataset of the same batch.
    r.probabilities.resize(static_cast<size_t>(batch * 5));
    r.level.resize(static_cast<size_t>(batch));
    float* outputs[] = {r.probabilities.data(), r.level.data()};
    EXPECT_EQ(lib.fn<decltype(nnc_model_forward_all)>("nnc_model_forward_all")(m, image.data(), batch, outputs),
              NNC_OK);
    nnc_dataset* data = nullptr;
    EXPECT_EQ(lib.fn<decltype(nnc_dataset_from_memory)>("nnc_dataset_from_memory")(image.data(), label.data(), batch,
                                                                                   300, NNC_TARGET_CLASSES, 1, &data),
              NNC_OK);
    EXPECT_EQ(
        lib.fn<decltype(nnc_dataset_add_target)>("nnc_dataset_add_target")(data, level.data(), NNC_TARGET_REAL, 1),
        NNC_OK);
    EXPECT_EQ(lib.fn<decltype(nnc_evaluate_tasks)>("nnc_evaluate_tasks")(m, data, batch, &r.eval_loss, &r.eval_accuracy,
                                                                         r.eval_task_losses.data()),
              NNC_OK)
        << lib.fn<decltype(nnc_last_error)>("nnc_last_error")();
    lib.fn<decltype(nnc_dataset_destroy)>("nnc_dataset_destroy")(data);
    lib.fn<decltype(nnc_model_destroy)>("nnc_model_destroy")(m);
    return r;
}

TEST(StagedTraining, StagesComputeWhatOnePipelineComputes) {
    const nnc::test::ScratchFolder scratch("nnc-staged-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    std::ofstream(dir / "staged.nn") << kModel;
    const fs::path whole = dir / "whole.so", staged = dir / "staged.so";
    auto a = nnc::test::run_nnc((dir / "staged.nn").string() + " -q --layers-per-stage 0 -o " + whole.string());
    ASSERT_EQ(a.status, 0) << a.output;
    // 16 layers, 3 per stage: 6 forward and 6 backward stages; the residual add's operands and
    // its gradient cross stage boundaries.
    auto b = nnc::test::run_nnc((dir / "staged.nn").string() + " -q --layers-per-stage 3 --emit-dir " +
                                (dir / "emit").string() + " -o " + staged.string());
    ASSERT_EQ(b.status, 0) << b.output;
    EXPECT_TRUE(fs::exists(dir / "emit" / "train_step_f5.stmt")) << "expected 6 forward stages";
    EXPECT_TRUE(fs::exists(dir / "emit" / "train_step_b0.stmt"));
    EXPECT_TRUE(fs::exists(dir / "emit" / "forward_f5.stmt"));
    EXPECT_TRUE(fs::exists(dir / "emit" / "evaluate_f5.stmt"));
    EXPECT_FALSE(fs::exists(dir / "emit" / "train_step_f6.stmt"));

    Library lw(whole), ls(staged);
    ASSERT_TRUE(lw.handle && ls.handle) << dlerror();
    for (int64_t batch : {8, 3}) {  // the model's batch, and a smaller one (buffers are reused)
        std::mt19937 rng(static_cast<unsigned>(batch));
        std::normal_distribution<float> normal(0.f, 1.f);
        std::vector<float> image(static_cast<size_t>(batch * 3 * 10 * 10)), level(static_cast<size_t>(batch));
        std::vector<int32_t> label(static_cast<size_t>(batch));
        for (float& v : image) v = normal(rng);
        for (float& v : level) v = normal(rng);
        for (int32_t& l : label) l = static_cast<int32_t>(rng() % 5);
        float declared_loss = 0;
        for (double rate : {-1.0, 0.6}) {
            SCOPED_TRACE(rate < 0 ? "declared dropout rate" : "dropout rate 0.6");
            const Results w = gradients(lw, image, label, level, batch, rate),
                          s = gradients(ls, image, label, level, batch, rate);
            ASSERT_TRUE(std::isfinite(w.loss));
            if (rate < 0)
                declared_loss = w.loss;
            else
                EXPECT_NE(w.loss, declared_loss) << "the run-time rate changes the training step";
            EXPECT_NEAR(s.loss, w.loss, 1e-5 * std::abs(w.loss)) << "batch " << batch;
            for (int l = 0; l < 2; ++l)
                EXPECT_NEAR(s.task_losses[l], w.task_losses[l], 1e-5 * std::abs(w.task_losses[l]));
            ASSERT_EQ(s.params.size(), w.params.size());
            for (size_t p = 0; p < w.params.size(); ++p) {
                double diff = 0, scale = 1e-12;
                for (size_t i = 0; i < w.params[p].size(); ++i) {
                    diff = std::max(diff, std::abs(double(s.params[p][i]) - w.params[p][i]));
                    scale = std::max(scale, std::abs(double(w.params[p][i])));
                }
                EXPECT_LT(diff / scale, 1e-5) << "parameter " << p << " at batch " << batch;
            }
            for (size_t i = 0; i < w.probabilities.size(); ++i)
                EXPECT_NEAR(s.probabilities[i], w.probabilities[i], 1e-6);
            for (size_t i = 0; i < w.level.size(); ++i)
                EXPECT_NEAR(s.level[i], w.level[i], 1e-5 * (1 + std::abs(w.level[i])));
            ASSERT_TRUE(std::isfinite(w.eval_loss));
            EXPECT_NEAR(s.eval_loss, w.eval_loss, 1e-5 * std::abs(w.eval_loss));
            EXPECT_EQ(s.eval_accuracy, w.eval_accuracy);
            for (int l = 0; l < 2; ++l)
                EXPECT_NEAR(s.eval_task_losses[l], w.eval_task_losses[l], 1e-5 * std::abs(w.eval_task_losses[l]));
        }
    }
}

TEST(StagedTraining, TrainingThroughStagesLowersTheLoss) {
    // Not only equal once: many steps through the stages train (buffers reused across steps).
    const nnc::test::ScratchFolder scratch("nnc-staged-train-" + std::to_string(getpid()));
    const fs::path& dir = scratch.dir();
    std::ofstream(dir / "staged.nn") << kModel;
    auto b =
        nnc::test::run_nnc((dir / "staged.nn").string() + " -q --layers-per-stage 4 -o " + (dir / "s.so").string());
    ASSERT_EQ(b.status, 0) << b.output;
    Library lib(dir / "s.so");
    ASSERT_TRUE(lib.handle) << dlerror();
    nnc_model* m = nullptr;
    ASSERT_EQ(lib.fn<decltype(nnc_model_create)>("nnc_model_create")(&m), NNC_OK);
    ASSERT_EQ(lib.fn<decltype(nnc_model_init)>("nnc_model_init")(m, 7), NNC_OK);
    const int64_t batch = 8;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> image(static_cast<size_t>(batch * 300)), level(static_cast<size_t>(batch));
    std::vector<int32_t> label(static_cast<size_t>(batch));
    for (float& v : image) v = normal(rng);
    for (float& v : level) v = normal(rng);
    for (int32_t& l : label) l = static_cast<int32_t>(rng() % 5);
    const void* targets[] = {label.data(), level.data()};
    auto step = lib.fn<decltype(nnc_model_train_step_multi)>("nnc_model_train_step_multi");
    float first = 0, last = 0;
    for (int i = 0; i < 60; ++i) {
        float loss = 0;
        ASSERT_EQ(step(m, image.data(), targets, batch, &loss, nullptr), NNC_OK);
        if (i == 0) first = loss;
        last = loss;
    }
    EXPECT_LT(last, 0.5f * first) << "first " << first << ", last " << last;
    lib.fn<decltype(nnc_model_destroy)>("nnc_model_destroy")(m);
}

}  // namespace
