// Class labels of sequence targets: which labels a target takes (its classes, and the label its
// loss ignores), and accuracy counted per position with the ignored labels left out.
#include <gtest/gtest.h>

#include "runtime/batch.h"
#include "runtime/class_labels.h"

namespace {

using nnc::runtime::count_correct;
using nnc::runtime::Hits;
using nnc::runtime::ignored_label;
using nnc::runtime::label_place;
using nnc::runtime::label_range;
using nnc::runtime::valid_label;

nnc_target_desc sequence_target(int64_t classes, int64_t positions, bool ignores, int64_t ignore) {
    nnc_target_desc d{};
    d.tensor.name = "next";
    d.tensor.rank = 1;
    d.tensor.dims[0] = positions;
    d.kind = NNC_TARGET_CLASSES;
    d.num_classes = classes;
    d.has_ignore_index = ignores ? 1 : 0;
    d.ignore_index = ignore;
    return d;
}

TEST(ClassLabels, ATargetTakesItsClassesAndTheLabelItsLossIgnores) {
    const nnc_target_desc d = sequence_target(3, 4, true, -100);
    EXPECT_TRUE(valid_label(d, 0));
    EXPECT_TRUE(valid_label(d, 2));
    EXPECT_TRUE(valid_label(d, -100));
    EXPECT_FALSE(valid_label(d, 3));
    EXPECT_FALSE(valid_label(d, -1));
    EXPECT_TRUE(ignored_label(d, -100));
    EXPECT_FALSE(ignored_label(d, 0));
    EXPECT_EQ(label_range(d), "3 classes (0 to 2), or the ignored label -100");
    EXPECT_EQ(label_place(9, 4), "sample 2, position 1");
    EXPECT_EQ(label_place(9, 1), "sample 9");

    // A descriptor that declares no ignored label (zeroed fields) ignores nothing, not class 0.
    const nnc_target_desc none = sequence_target(3, 4, false, 0);
    EXPECT_FALSE(ignored_label(none, 0));
    EXPECT_FALSE(valid_label(none, -100));
    EXPECT_EQ(label_range(none), "3 classes (0 to 2)");
}

TEST(ClassLabels, AccuracyCountsEachPositionAndSkipsTheIgnoredOnes) {
    // 2 samples x 3 positions x 2 classes: the argmax of each position's row is its index % 2.
    const float scores[] = {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.4f, 0.6f, 0.6f, 0.4f, 0.1f, 0.9f};
    const int32_t labels[] = {0, 1, 1, -7, 0, 0};  // right, right, wrong, ignored, right, wrong
    const Hits hits = count_correct(scores, 6, labels, 2, sequence_target(2, 3, true, -7));
    EXPECT_EQ(hits.correct, 3);
    EXPECT_EQ(hits.counted, 5);

    // One label per sample: one row of the whole width.
    const int32_t one[] = {0, 1};
    nnc_target_desc single = sequence_target(6, 1, false, 0);
    single.tensor.rank = 0;
    const Hits whole = count_correct(scores, 6, one, 2, single);
    EXPECT_EQ(whole.correct, 1);  // sample 0's largest score is at 0; sample 1's at 5
    EXPECT_EQ(whole.counted, 2);
}

}  // namespace
