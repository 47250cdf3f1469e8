// First-epoch checks: regression targets far from unit scale without standardization
// (target-scale) and multi-task losses more than 10x apart (task-loss-scale).
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/cli/diagnostics/target_scale.h"
#include "runtime/cli/diagnostics/task_loss_scale.h"

namespace {
namespace dx = nnc::diagnostics;

TEST(TargetScale, TheLowerBoundIsTheTriangleInequality) {
    EXPECT_DOUBLE_EQ(dx::target_rms_lower_bound(22500, 1), 149);
    EXPECT_DOUBLE_EQ(dx::target_rms_lower_bound(1, 3), 0);
    EXPECT_TRUE(std::isnan(dx::target_rms_lower_bound(NAN, 1)));
}

TEST(TargetScale, LargeUnstandardizedTargetsAreFlagged) {
    const auto f = dx::check_target_scale("price", 149, false, 1);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "target-scale");
    EXPECT_EQ(f->subject, "price");
    EXPECT_NE(f->message.find("149"), std::string::npos) << f->message;
    EXPECT_NE(f->advice.find("--standardize"), std::string::npos) << f->advice;
}

TEST(TargetScale, SilentForStandardizedOrUnitScaleTargets) {
    EXPECT_FALSE(dx::check_target_scale("price", 149, true, 1));
    EXPECT_FALSE(dx::check_target_scale("price", 3, false, 1));
    EXPECT_FALSE(dx::check_target_scale("price", NAN, false, 1));
}

TEST(TaskLossScale, ALossTenTimesLargerGetsAWeightThatMatchesIt) {
    const auto f = dx::check_task_loss_scale({{"cls", 1, 2.3}, {"reg", 1, 500}}, 1);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].code, "task-loss-scale");
    EXPECT_EQ(f[0].subject, "reg");
    EXPECT_NE(f[0].advice.find("weight=0.0046"), std::string::npos) << f[0].advice;  // 2.3 / 500
}

TEST(TaskLossScale, ALossTenTimesSmallerToo) {
    const auto f = dx::check_task_loss_scale({{"cls", 1, 2.3}, {"reg", 0.5, 0.02}}, 1);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_NE(f[0].message.find("less"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].advice.find("weight=120"), std::string::npos) << f[0].advice;  // 2.3 / 0.02 = 115
}

TEST(TaskLossScale, SilentWithinTenTimesOrForOneLoss) {
    EXPECT_TRUE(dx::check_task_loss_scale({{"cls", 1, 2.3}, {"reg", 1, 0.9}}, 1).empty());
    EXPECT_TRUE(dx::check_task_loss_scale({{"cls", 1, 2.3}, {"reg", 0.01, 500}}, 1).empty());  // weighted 5: fine
    EXPECT_TRUE(dx::check_task_loss_scale({{"cls", 1, 2.3}}, 1).empty());
}

}  // namespace
