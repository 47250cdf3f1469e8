// One verdict on the lr per run: readings that contradict each other (one tensor's update ratio
// says lower, another's raise, the loss curve says keep) give one finding, the heaviest reading's,
// naming the others; equal readings pointing opposite ways are update-ratio-spread.
#include <gtest/gtest.h>

#include "runtime/cli/diagnostics/lr_verdict.h"

namespace {
namespace dx = nnc::diagnostics;

dx::Finding reading(const std::string& code, const std::string& subject, int64_t epoch, const std::string& advice) {
    return {code, dx::Severity::warning, subject, code + " seen", advice, epoch};
}

const dx::Finding kHigh = reading("update-ratio-high", "fc1.weight", 2, "lower the learning rate (about 0.000162)");
const dx::Finding kLow = reading("update-ratio-low", "out.weight", 3, "raise the learning rate (about 0.121)");

TEST(LrVerdict, TheLossCurveOutweighsContradictingUpdateRatios) {
    dx::LrVerdict lr;
    lr.add(kHigh);
    lr.add(kLow);
    lr.add(reading("lr-too-low", "", 0, "raise the learning rate 3x"));
    const auto v = lr.verdict();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code, "lr-too-low");
    EXPECT_EQ(v->epoch, 0);
    EXPECT_EQ(lr.direction(), dx::LrDirection::raise);
    // The agreeing ratio's advice joins; the contradicting one is named as outweighed, not advised.
    EXPECT_NE(v->message.find("agreeing: update-ratio-low (out.weight, epoch 3)"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("outweighed by the loss curve: update-ratio-high (fc1.weight, epoch 2) says lower it"),
              std::string::npos)
        << v->message;
    EXPECT_NE(v->advice.find("about 0.121"), std::string::npos) << v->advice;
    EXPECT_EQ(v->advice.find("0.000162"), std::string::npos) << v->advice;
}

TEST(LrVerdict, OpposedUpdateRatiosAloneAreASpreadNotTwoAdvices) {
    dx::LrVerdict lr;
    lr.add(kLow);
    lr.add(kHigh);
    const auto v = lr.verdict();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code, "update-ratio-spread");
    EXPECT_EQ(lr.direction(), dx::LrDirection::keep);
    EXPECT_EQ(v->advice.find("raise the learning rate"), std::string::npos) << v->advice;
    EXPECT_EQ(v->advice.find("lower the learning rate"), std::string::npos) << v->advice;
}

TEST(LrVerdict, ADivergenceDecidesAndTheCurveAgreeingJoins) {
    dx::LrVerdict lr;
    lr.add(kLow);
    lr.add(reading("divergence", "", 1, "start the next run there (or lower)"));
    lr.add(reading("divergence", "", 1, "start the next run there (or lower)"));
    lr.add(reading("lr-too-high-early", "", 0, "lower the learning rate 3-10x"));
    const auto v = lr.verdict();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code, "divergence");
    EXPECT_EQ(lr.direction(), dx::LrDirection::lower);
    EXPECT_NE(v->message.find("the loss diverged 2 times"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("agreeing: lr-too-high-early"), std::string::npos) << v->message;
    EXPECT_NE(v->message.find("update-ratio-low (out.weight, epoch 3) says raise it"), std::string::npos) << v->message;
}

TEST(LrVerdict, NoReadingNoVerdictAndOtherFindingsAreNotReadings) {
    dx::LrVerdict lr;
    EXPECT_FALSE(lr.verdict());
    lr.add(reading("overfitting", "", 9, "dropout"));
    lr.add(reading("gradient-vanishing", "d3.weight", 1, "residual connections"));
    EXPECT_FALSE(lr.verdict());
    EXPECT_EQ(lr.direction(), dx::LrDirection::none);
    lr.add(reading("curve-good", "", 0, ""));
    ASSERT_TRUE(lr.verdict());
    EXPECT_EQ(lr.verdict()->code, "curve-good");
    EXPECT_EQ(lr.direction(), dx::LrDirection::keep);
}

}  // namespace
