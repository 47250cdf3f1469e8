// The sharpening probe's statistics, label recovery, and the two checks that read them
// (not-sharpening, class-collapse).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/cli/diagnostics/class_collapse.h"
#include "runtime/cli/diagnostics/probe.h"
#include "runtime/cli/diagnostics/sharpening.h"

namespace {
namespace dx = nnc::diagnostics;

// `rows` distributions over `classes`: probability `top` on class (row % spread), the rest even.
std::vector<double> rows_with_top(int64_t rows, int64_t classes, double top, int64_t spread) {
    std::vector<double> p(static_cast<size_t>(rows * classes), (1 - top) / static_cast<double>(classes - 1));
    for (int64_t r = 0; r < rows; ++r) p[static_cast<size_t>(r * classes + r % spread)] = top;
    return p;
}

TEST(Probe, ProbabilitiesAreKeptAndLogitsGoThroughSoftmax) {
    const std::vector<float> probs = {0.25f, 0.75f, 1.f, 0.f};
    const auto kept = dx::to_probabilities(probs.data(), 2, 2);
    EXPECT_DOUBLE_EQ(kept[0], 0.25);
    EXPECT_DOUBLE_EQ(kept[3], 0.0);
    const std::vector<float> logits = {0.f, static_cast<float>(std::log(3.0)), 5.f, 5.f};
    const auto soft = dx::to_probabilities(logits.data(), 2, 2);
    EXPECT_NEAR(soft[0], 0.25, 1e-6);
    EXPECT_NEAR(soft[1], 0.75, 1e-6);
    EXPECT_NEAR(soft[2], 0.5, 1e-12);
}

TEST(Probe, UniformPredictionsHaveEntropyLnCAndTopProbOneOverC) {
    const auto s = dx::probe_stats(std::vector<double>(40, 0.1), 4, 10);
    EXPECT_NEAR(s.entropy, std::log(10.0), 1e-12);
    EXPECT_NEAR(s.max_entropy, std::log(10.0), 1e-12);
    EXPECT_NEAR(s.mean_top_prob, 0.1, 1e-12);
    EXPECT_EQ(s.top_prob_hist[1], 4);  // [0.1, 0.2)
    EXPECT_EQ(s.samples, 4);
}

TEST(Probe, ConfidentPredictionsHaveLowEntropyAndFillTheLastBin) {
    const auto s = dx::probe_stats(rows_with_top(20, 10, 0.991, 10), 20, 10);
    EXPECT_LT(s.entropy, 0.1);
    EXPECT_NEAR(s.mean_top_prob, 0.991, 1e-12);
    EXPECT_EQ(s.top_prob_hist[9], 20);
    EXPECT_NEAR(s.majority_fraction, 0.1, 1e-12);  // 2 of 20 per class
    const auto one = dx::probe_stats(rows_with_top(20, 10, 0.991, 1), 20, 10);
    EXPECT_DOUBLE_EQ(one.majority_fraction, 1.0);
}

TEST(Probe, LabelsAreRecoveredFromPerSampleLosses) {
    const int64_t rows = 6, classes = 3;
    std::vector<double> p = {0.2, 0.3, 0.5, 0.7, 0.2, 0.1, 0.1,  0.1, 0.8,
                             0.6, 0.3, 0.1, 1.0, 0.0, 0.0, 0.05, 0.9, 0.05};
    const std::vector<int> truth = {0, 1, 2, 1, 1, 0};
    std::vector<double> losses;
    for (int64_t r = 0; r < rows; ++r) {
        const double pr = p[static_cast<size_t>(r * classes + truth[static_cast<size_t>(r)])];
        losses.push_back(pr > 0 ? -std::log(pr) : 110.0);  // row 4: an underflowed probability
    }
    EXPECT_EQ(dx::labels_from_losses(p, rows, classes, losses), truth);
    EXPECT_NEAR(dx::top_share(truth), 0.5, 1e-12);
    EXPECT_EQ(dx::top_share({}), 0.0);
}

TEST(NotSharpening, NearUniformAfterThreeEpochsIsFlagged) {
    const auto s = dx::probe_stats(rows_with_top(16, 10, 0.12, 10), 16, 10);
    const auto f = dx::check_not_sharpening(s, 3);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "not-sharpening");
    EXPECT_EQ(f->epoch, 3);
    EXPECT_NE(f->message.find("ln 10"), std::string::npos) << f->message;
    EXPECT_FALSE(f->advice.empty());
}

TEST(NotSharpening, SilentBeforeEpochThreeAndOnceSharpened) {
    EXPECT_FALSE(dx::check_not_sharpening(dx::probe_stats(rows_with_top(16, 10, 0.12, 10), 16, 10), 2));
    EXPECT_FALSE(dx::check_not_sharpening(dx::probe_stats(rows_with_top(16, 10, 0.6, 10), 16, 10), 3));
    EXPECT_FALSE(dx::check_not_sharpening(dx::ProbeStats{}, 5));  // no probe
}

TEST(ClassCollapse, OneClassForSpreadLabelsIsFlagged) {
    const auto s = dx::probe_stats(rows_with_top(20, 10, 0.9, 1), 20, 10);
    const auto f = dx::check_class_collapse(s, 0.1, 2);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "class-collapse");
    EXPECT_NE(f->message.find("100%"), std::string::npos) << f->message;
}

TEST(ClassCollapse, SilentForSpreadPredictionsSkewedLabelsOrTheFirstEpoch) {
    const auto collapsed = dx::probe_stats(rows_with_top(20, 10, 0.9, 1), 20, 10);
    EXPECT_FALSE(dx::check_class_collapse(collapsed, 0.1, 1));   // epoch 1
    EXPECT_FALSE(dx::check_class_collapse(collapsed, 0.95, 4));  // the labels are that skewed
    EXPECT_FALSE(dx::check_class_collapse(dx::probe_stats(rows_with_top(20, 10, 0.9, 10), 20, 10), 0.1, 4));
}

TEST(Finding, PrintsWarningCodeAndAdvice) {
    dx::Finding f;
    f.code = "overfitting";
    f.message = "it overfits";
    f.advice = "use dropout";
    EXPECT_EQ(dx::format_finding(f), "nnc: warning: it overfits [overfitting]\n  advice: use dropout\n");
    f.severity = dx::Severity::info;
    f.advice.clear();
    EXPECT_EQ(dx::format_finding(f), "nnc: info: it overfits [overfitting]\n");
    EXPECT_EQ(dx::num(0.012345), "0.0123");
}

}  // namespace
