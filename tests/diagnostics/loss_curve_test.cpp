// The loss-curve shapes of the field guide, as synthetic per-batch curves with minibatch-like
// noise: each code is provoked by its shape, and the other shapes do not provoke it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "runtime/cli/diagnostics/loss_curve.h"

namespace {
namespace dx = nnc::diagnostics;
using Shape = std::function<double(double)>;

// 300 points of f(t), t in [0, 1], plus uniform noise in [-noise, noise] (a fixed LCG).
std::vector<double> curve(const std::function<double(double)>& f, double noise = 0.02, int n = 300) {
    std::vector<double> out;
    uint64_t state = 12345;
    for (int i = 0; i < n; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
        out.push_back(f(i / double(n - 1)) + noise * (2 * u - 1));
    }
    return out;
}

std::string code_of(const std::vector<double>& losses) {
    const auto f = dx::diagnose_loss_curve(losses, "per-batch training loss");
    return f ? f->code : "none";
}

const Shape kGood = [](double t) { return 0.2 + 2.1 * std::exp(-t / 0.08); };
const Shape kLinear = [](double t) { return 2.3 - 1.2 * t; };
const Shape kZigzag = [](double t) { return 2.3 - 0.8 * t + 0.6 * std::sin(2 * M_PI * t * 12); };
const Shape kRising = [](double t) { return t < 0.2 ? 1.0 + 8 * t : 2.6 - 2 * (t - 0.2); };
const Shape kStallHigh = [](double t) {  // fast fall to 0.5, back up to 0.9, flat there
    if (t < 0.25) return 0.5 + 1.8 * std::exp(-t / 0.05);
    if (t < 0.5) return 0.5 + 0.4 * (t - 0.25) / 0.25;
    return 0.9;
};
const Shape kLateStart = [](double t) {
    return 2.3 - 1.8 / (1 + std::exp(-(t - 0.55) * 40));
};  // plateau, drop, plateau

TEST(LossCurve, FastFallThenFlatIsGood) {
    const auto f = dx::diagnose_loss_curve(curve(kGood), "per-batch training loss");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "curve-good");
    EXPECT_EQ(f->severity, dx::Severity::info);
    EXPECT_EQ(f->epoch, 0);
    EXPECT_NE(f->message.find("per-batch training loss"), std::string::npos) << f->message;
}

TEST(LossCurve, SlowSteadyDescentIsLrTooLow) {
    const auto f = dx::diagnose_loss_curve(curve(kLinear), "per-batch training loss");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "lr-too-low");
    EXPECT_NE(f->advice.find("raise the learning rate"), std::string::npos) << f->advice;
    EXPECT_EQ(code_of(curve([](double) { return 1.0; })), "lr-too-low");  // no fall at all
    // Heavy minibatch noise on a flat curve (an lr of 1e-7) is no zigzag: it barely fell.
    const auto flat = dx::diagnose_loss_curve(curve([](double) { return 2.5; }, 0.6, 120), "per-batch training loss");
    ASSERT_TRUE(flat);
    EXPECT_EQ(flat->code, "lr-too-low");
    EXPECT_NE(flat->message.find("barely fell"), std::string::npos) << flat->message;
}

TEST(LossCurve, EarlyZigzagOrRiseIsLrTooHighEarly) {
    EXPECT_EQ(code_of(curve(kZigzag)), "lr-too-high-early");
    const auto f = dx::diagnose_loss_curve(curve(kRising), "per-batch training loss");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "lr-too-high-early");
    EXPECT_NE(f->message.find("rose early"), std::string::npos) << f->message;
    EXPECT_NE(f->advice.find("lower the learning rate"), std::string::npos) << f->advice;
}

TEST(LossCurve, ABlowUpInsideTheFirstBinIsLrTooHighEarly) {
    // Full-batch Adam at too high an lr: 2.3, then 61 at the second update, then settling.
    std::vector<double> losses = {2.3, 61, 9.2, 3.2, 13, 14, 9.9, 4.7, 1.5, 0.64};
    for (int i = 0; i < 140; ++i) losses.push_back(0.6 - 0.0005 * i);
    EXPECT_EQ(code_of(losses), "lr-too-high-early");
}

// 40 to 79 batches: each bin holds one batch, so the minibatch noise must be estimated from the
// points themselves, or every wiggle of a steadily falling curve reads as an early rise.
TEST(LossCurve, MinibatchNoiseOnAShortFallingCurveIsNotEarlyInstability) {
    for (const int n : {45, 60, 79}) {
        for (const double noise : {0.1, 0.25}) {
            EXPECT_NE(code_of(curve(kGood, noise, n)), "lr-too-high-early") << n << " points, noise " << noise;
            EXPECT_NE(code_of(curve(kLinear, noise, n)), "lr-too-high-early") << n << " points, noise " << noise;
        }
        EXPECT_EQ(code_of(curve(kRising, 0.1, n)), "lr-too-high-early") << n;
        // A swing over several batches is more than one batch's noise (a swing every other batch
        // cannot be told from it at one batch per bin).
        const Shape swings = [](double t) { return 2.3 - 0.8 * t + 0.6 * std::sin(2 * M_PI * t * 4); };
        EXPECT_EQ(code_of(curve(swings, 0.02, n)), "lr-too-high-early") << n;
    }
}

TEST(LossCurve, StallingAboveItsBestIsLrTooHighLate) {
    const auto f = dx::diagnose_loss_curve(curve(kStallHigh), "per-batch training loss");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "lr-too-high-late");
    EXPECT_NE(f->advice.find("cosine"), std::string::npos) << f->advice;
}

TEST(LossCurve, EachShapeProvokesOnlyItsOwnCode) {
    // The silent side of every code: a good curve is none of the warnings, and so on.
    EXPECT_EQ(code_of(curve(kGood, 0.1)), "curve-good");  // heavier minibatch noise: still good
    for (const auto& shape : {kLinear, kStallHigh}) EXPECT_NE(code_of(curve(shape)), "lr-too-high-early");
    for (const auto& shape : {kGood, kZigzag}) EXPECT_NE(code_of(curve(shape)), "lr-too-high-late");
    for (const auto& shape : {kGood, kStallHigh}) EXPECT_NE(code_of(curve(shape)), "lr-too-low");
    EXPECT_EQ(code_of(curve(kLateStart)), "none");  // a plateau, then a drop: none of the four
}

TEST(LossCurve, ShortOrNonFiniteSeriesAreNotRead) {
    EXPECT_FALSE(dx::diagnose_loss_curve({2, 1.5, 1, 0.8}, "x"));
    auto losses = curve(kGood);
    losses[100] = NAN;
    EXPECT_FALSE(dx::diagnose_loss_curve(losses, "x"));
    // A per-epoch curve of a few points is read the same way.
    EXPECT_EQ(code_of({2.3, 1.0, 0.6, 0.45, 0.4, 0.37, 0.36, 0.355, 0.35, 0.35}), "curve-good");
}

}  // namespace
