// update-ratio-high/low, gradient-vanishing/exploding on synthetic per-tensor readings: each
// situation provokes its finding and a healthy MLP's numbers stay silent.
#include "runtime/cli/diagnostics/gradient_health.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dx = nnc::diagnostics;

namespace {

// fashion_mlp-like: three weight matrices and their biases; Adam at 3e-4 gives ratios ~1e-3.
std::vector<dx::TensorReading> healthy() {
    return {{"fc1.weight", 2, 0.8, 2e-3}, {"fc1.bias", 1, 0.05, 0.3},      {"fc2.weight", 2, 0.6, 1.5e-3},
            {"fc2.bias", 1, 0.04, NAN},   {"logits.weight", 2, 0.9, 3e-3}, {"logits.bias", 1, 0.1, 0.05}};
}

TEST(GradientHealth, AHealthyMlpIsSilent) {
    EXPECT_TRUE(dx::update_ratio_findings(healthy(), 1, 3e-4).empty());
    EXPECT_TRUE(dx::gradient_findings(healthy(), 1).empty());
    EXPECT_TRUE(dx::gradient_findings(healthy(), 5).empty());
}

TEST(GradientHealth, UpdateRatioHighNamesTheWorstWeightAndSuggestsAnLr) {
    auto t = healthy();
    t[0].update_ratio = 0.05;
    t[2].update_ratio = 0.2;
    const auto f = dx::update_ratio_findings(t, 2, 0.1);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "update-ratio-high");
    EXPECT_EQ(f[0].subject, "fc2.weight");
    EXPECT_EQ(f[0].epoch, 2);
    EXPECT_NE(f[0].message.find("0.2 of its norm (and 1 other weight tensor)"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].advice.find("lower the learning rate (about 0.0005"), std::string::npos) << f[0].advice;
}

TEST(GradientHealth, UpdateRatioLowSuggestsRaisingTheLr) {
    auto t = healthy();
    for (auto& r : t) r.update_ratio *= 1e-3;
    const auto f = dx::update_ratio_findings(t, 1, 1e-7);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "update-ratio-low");
    EXPECT_EQ(f[0].subject, "fc2.weight");
    EXPECT_NE(f[0].advice.find("raise the learning rate"), std::string::npos);
}

TEST(GradientHealth, BiasRatiosDoNotCount) {
    auto t = healthy();
    t[1].update_ratio = 5.0;  // a bias that started at 0
    t[3].update_ratio = 1e-9;
    EXPECT_TRUE(dx::update_ratio_findings(t, 1, 3e-4).empty());
}

TEST(GradientHealth, VanishingAcrossLayers) {
    // A deep sigmoid stack: each layer back loses ~x0.2.
    std::vector<dx::TensorReading> t;
    double g = 1.0;
    for (int l = 8; l >= 1; --l, g *= 0.2) t.insert(t.begin(), {"d" + std::to_string(l) + ".weight", 2, g, 1e-3});
    const auto f = dx::gradient_findings(t, 1);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "gradient-vanishing");
    EXPECT_EQ(f[0].subject, "d1.weight");
    EXPECT_NE(f[0].advice.find("residual connections"), std::string::npos);
    // Four layers of the same decay (0.0016 end to end) are ordinary.
    t.erase(t.begin(), t.begin() + 4);
    EXPECT_TRUE(dx::gradient_findings(t, 1).empty());
}

TEST(GradientHealth, NoGradientAnywhereIsVanishingOnlyInTheFirstEpoch) {
    auto t = healthy();
    for (auto& r : t) r.grad_norm = 1e-9;
    const auto first = dx::gradient_findings(t, 1);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].code, "gradient-vanishing");
    EXPECT_TRUE(dx::gradient_findings(t, 7).empty());  // a converged model
}

TEST(GradientHealth, Exploding) {
    auto t = healthy();
    t[4].grad_norm = 5e3;
    t[0].grad_norm = 40;
    t[2].grad_norm = 30;
    const auto f = dx::gradient_findings(t, 3);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "gradient-exploding");
    EXPECT_EQ(f[0].subject, "logits.weight");
    EXPECT_NE(f[0].advice.find("clip_norm"), std::string::npos);
}

}  // namespace
