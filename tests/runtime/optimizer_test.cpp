// Every optimizer against torch.optim: the same initial parameters and gradient sequence (exact in
// float32, see torch_optim_reference.py), 100 steps, compared element by element.
#include "runtime/optimizers/optimizer.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using nnc::runtime::OptimizerConfig;

constexpr int kSteps = 100;
constexpr int kCount = 37;  // not a multiple of any vector width: exercises loop tails

float initial(int i) { return static_cast<float>(((5 * i) % 11 - 5) / 4.0 + 0.125); }
float gradient(int t, int i) { return static_cast<float>(((7 * i + 13 * t) % 17 - 8) / 8.0); }

struct Case {
    const char* torch_config;  // as torch_optim_reference.py takes it
    OptimizerConfig config;
};

OptimizerConfig sgd(double lr, double momentum, bool nesterov, double weight_decay) {
    OptimizerConfig c;
    c.name = "sgd";
    c.lr = lr;
    c.momentum = momentum;
    c.nesterov = nesterov;
    c.weight_decay = weight_decay;
    return c;
}

OptimizerConfig adam(double lr, double beta1, double beta2, double eps, double weight_decay) {
    OptimizerConfig c;
    c.name = "adam";
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weight_decay = weight_decay;
    return c;
}

OptimizerConfig adamw(double lr, double beta1, double beta2, double eps, double weight_decay) {
    OptimizerConfig c = adam(lr, beta1, beta2, eps, weight_decay);
    c.name = "adamw";
    return c;
}

OptimizerConfig adagrad(double lr, double lr_decay, double weight_decay, double initial, double eps) {
    OptimizerConfig c;
    c.name = "adagrad";
    c.lr = lr;
    c.lr_decay = lr_decay;
    c.weight_decay = weight_decay;
    c.initial_accumulator_value = initial;
    c.eps = eps;
    return c;
}

OptimizerConfig adadelta(double lr, double rho, double eps, double weight_decay) {
    OptimizerConfig c;
    c.name = "adadelta";
    c.lr = lr;
    c.rho = rho;
    c.eps = eps;
    c.weight_decay = weight_decay;
    return c;
}

OptimizerConfig rmsprop(double lr, double alpha, double eps, double weight_decay, double momentum, bool centered) {
    OptimizerConfig c;
    c.name = "rmsprop";
    c.lr = lr;
    c.alpha = alpha;
    c.eps = eps;
    c.weight_decay = weight_decay;
    c.momentum = momentum;
    c.centered = centered;
    return c;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"sgd,0.05,0,0,0", sgd(0.05, 0, false, 0)},
        {"sgd,0.01,0.9,0,0", sgd(0.01, 0.9, false, 0)},
        {"sgd,0.01,0.9,1,0.01", sgd(0.01, 0.9, true, 0.01)},
        {"sgd,0.02,0.5,0,0.1", sgd(0.02, 0.5, false, 0.1)},
        {"adam,0.01,0.9,0.999,1e-8,0", adam(0.01, 0.9, 0.999, 1e-8, 0)},
        {"adam,0.003,0.8,0.99,1e-6,0.05", adam(0.003, 0.8, 0.99, 1e-6, 0.05)},
        {"adamw,0.01,0.9,0.999,1e-8,0.01", adamw(0.01, 0.9, 0.999, 1e-8, 0.01)},
        {"adamw,0.003,0.8,0.99,1e-6,0.3", adamw(0.003, 0.8, 0.99, 1e-6, 0.3)},
        {"adagrad,0.01,0,0,0,1e-10", adagrad(0.01, 0, 0, 0, 1e-10)},
        {"adagrad,0.05,0.01,0.02,0.1,1e-6", adagrad(0.05, 0.01, 0.02, 0.1, 1e-6)},
        {"adadelta,1.0,0.9,1e-6,0", adadelta(1.0, 0.9, 1e-6, 0)},
        {"adadelta,0.5,0.8,1e-4,0.05", adadelta(0.5, 0.8, 1e-4, 0.05)},
        {"rmsprop,0.01,0.99,1e-8,0,0,0", rmsprop(0.01, 0.99, 1e-8, 0, 0, false)},
        {"rmsprop,0.003,0.9,1e-6,0.01,0.5,0", rmsprop(0.003, 0.9, 1e-6, 0.01, 0.5, false)},
        {"rmsprop,0.002,0.95,1e-7,0,0,1", rmsprop(0.002, 0.95, 1e-7, 0, 0, true)},
        {"rmsprop,0.001,0.9,1e-8,0.05,0.9,1", rmsprop(0.001, 0.9, 1e-8, 0.05, 0.9, true)},
    };
    return all;
}

// The script's stderr, for failure messages.
std::string& torch_stderr() {
    static std::string text;
    return text;
}

// torch's results for every case, from one Python process; empty if torch is unavailable.
const std::vector<std::vector<double>>& torch_results() {
    static const std::vector<std::vector<double>> results = [] {
        std::vector<std::vector<double>> out;
        if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) return out;  // skip
        std::string command = std::string("/usr/bin/python3 ") + NNC_TORCH_OPTIM_REFERENCE + " " +
                              std::to_string(kSteps) + " " + std::to_string(kCount);
        for (const Case& c : cases()) command += std::string(" ") + c.torch_config;
        char log[] = "/tmp/nnc_torch_reference.XXXXXX";
        const int fd = mkstemp(log);
        if (fd >= 0) close(fd);
        command += std::string(" 2>") + log;
        FILE* pipe = popen(command.c_str(), "r");
        if (!pipe) return out;
        out.assign(cases().size(), {});
        double v;
        for (auto& row : out) {
            for (int i = 0; i < kCount && std::fscanf(pipe, "%lf", &v) == 1; ++i) row.push_back(v);
        }
        const int status = pclose(pipe);
        std::ifstream err(log);
        torch_stderr() = "exit status " + std::to_string(status) + "; stderr:\n" +
                         std::string(std::istreambuf_iterator<char>(err), {});
        std::remove(log);
        return out;
    }();
    return results;
}

std::vector<float> run_ours(const OptimizerConfig& config) {
    std::vector<float> params(kCount), grads(kCount);
    for (int i = 0; i < kCount; ++i) params[i] = initial(i);
    auto optimizer = nnc::runtime::make_optimizer(config, kCount);
    for (int t = 0; t < kSteps; ++t) {
        for (int i = 0; i < kCount; ++i) grads[i] = gradient(t, i);
        optimizer->step(params.data(), grads.data());
    }
    return params;
}

// One test for all configurations: torch is imported once (it takes seconds).
TEST(OptimizerVsTorch, MatchesAfter100Steps) {
    if (torch_results().empty()) GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
    for (size_t k = 0; k < cases().size(); ++k) {
        const Case& c = cases()[k];
        SCOPED_TRACE(c.torch_config);
        const std::vector<double>& want = torch_results()[k];
        ASSERT_EQ(want.size(), static_cast<size_t>(kCount)) << "the reference script failed: " << torch_stderr();
        const std::vector<float> got = run_ours(c.config);
        for (int i = 0; i < kCount; ++i) {
            // Relative 1e-6, against the parameters' scale (~1) for values that end near 0.
            EXPECT_NEAR(got[i], want[i], 1e-6 * std::max(1.0, std::fabs(want[i]))) << "element " << i;
        }
    }
}

// Chunked over several threads, each optimizer gives exactly the single-threaded result.
TEST(Optimizer, ThreadsGiveTheSameResult) {
    constexpr int64_t kLarge = 4 * nnc::runtime::kMinFloatsPerThread + 77;
    nnc::runtime::Workers workers(4);
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.torch_config);
        std::vector<float> one(kLarge), four(kLarge), grads(kLarge);
        for (int64_t i = 0; i < kLarge; ++i) one[i] = four[i] = initial(static_cast<int>(i % 1000));
        auto serial = nnc::runtime::make_optimizer(c.config, kLarge);
        auto parallel = nnc::runtime::make_optimizer(c.config, kLarge);
        parallel->set_workers(&workers);
        for (int t = 0; t < 3; ++t) {
            for (int64_t i = 0; i < kLarge; ++i) grads[i] = gradient(t, static_cast<int>(i % 1000));
            serial->step(one.data(), grads.data());
            parallel->step(four.data(), grads.data());
        }
        ASSERT_EQ(one, four);
    }
}

TEST(Optimizer, DefaultsAreTorchs) {
    EXPECT_EQ(nnc::runtime::optimizer_defaults("adadelta").lr, 1.0);
    EXPECT_EQ(nnc::runtime::optimizer_defaults("adagrad").eps, 1e-10);
    EXPECT_EQ(nnc::runtime::optimizer_defaults("adamw").weight_decay, 1e-2);
    EXPECT_EQ(nnc::runtime::optimizer_defaults("rmsprop").alpha, 0.99);
    nnc_optimizer_config c{};
    EXPECT_EQ(nnc_optimizer_defaults("rmsprop", &c), NNC_OK);
    EXPECT_STREQ(c.name, "rmsprop");
    EXPECT_EQ(nnc_optimizer_defaults("adamm", &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(nnc_last_error()).find("adamw"), std::string::npos) << nnc_last_error();
}

TEST(Optimizer, ResetForgetsState) {
    const OptimizerConfig c = sgd(0.1, 0.9, false, 0);
    auto opt = nnc::runtime::make_optimizer(c, 1);
    float p = 1, g = 1;
    opt->step(&p, &g);
    opt->step(&p, &g);  // momentum: second step moves 0.19
    EXPECT_FLOAT_EQ(p, 1 - 0.1f - 0.19f);
    opt->reset();
    p = 1;
    opt->step(&p, &g);  // fresh again: 0.1
    EXPECT_FLOAT_EQ(p, 0.9f);
}

}  // namespace
