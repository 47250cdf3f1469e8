// Train vs validation: overfitting (validation turns up while training falls) and underfitting
// (both high and flat), each provoked and each silent on its healthy neighbour.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/cli/diagnostics/best_epoch.h"
#include "runtime/cli/diagnostics/overfitting.h"
#include "runtime/cli/diagnostics/underfitting.h"

namespace {
namespace dx = nnc::diagnostics;

const std::vector<double> kFalling = {1.0, 0.8, 0.64, 0.51, 0.41, 0.33, 0.26};

TEST(Overfitting, ValidationRisingThreeEpochsFromItsMinimumIsFlagged) {
    const std::vector<double> val = {1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85};
    const auto f = dx::check_overfitting(kFalling, val, {});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "overfitting");
    EXPECT_EQ(f->epoch, 7);
    EXPECT_NE(f->message.find("epoch 4"), std::string::npos) << f->message;
    // Remedies ranked, early stopping pointing at the best epoch.
    EXPECT_NE(f->advice.find("(1) dropout"), std::string::npos) << f->advice;
    EXPECT_NE(f->advice.find("weights of epoch 4"), std::string::npos) << f->advice;
    EXPECT_LT(f->advice.find("dropout"), f->advice.find("weight decay"));
}

// A model that already drops is told to raise the rate (or add layers), not to add dropout.
TEST(Overfitting, AdviceKnowsTheModelsDropout) {
    const std::vector<double> val = {1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85};
    dx::FitContext low;
    low.dropout_layers = 2;
    low.max_dropout_rate = 0.2;
    const auto f = dx::check_overfitting(kFalling, val, low);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->advice.find("dropout(rate="), std::string::npos) << f->advice;
    EXPECT_NE(f->advice.find("(1) a higher dropout rate than 0.2 (nnc tune --dropout"), std::string::npos) << f->advice;
    dx::FitContext high = low;
    high.max_dropout_rate = 0.5;
    const auto g = dx::check_overfitting(kFalling, val, high);
    ASSERT_TRUE(g);
    EXPECT_NE(g->advice.find("(1) more dropout layers"), std::string::npos) << g->advice;
    dx::FitContext off = low;
    off.max_dropout_rate = 0;
    const auto h = dx::check_overfitting(kFalling, val, off);
    ASSERT_TRUE(h);
    EXPECT_NE(h->advice.find("(1) turning its dropout layers on (nnc train --dropout 0.3"), std::string::npos)
        << h->advice;
}

TEST(Overfitting, AdviceFitsTheRun) {
    const std::vector<double> val = {1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85};
    const auto f = dx::check_overfitting(kFalling, val, {40000, 20, true});
    ASSERT_TRUE(f);
    EXPECT_NE(f->advice.find("(1) more data or a smaller model (40000 parameters for 20 samples)"), std::string::npos)
        << f->advice;
    EXPECT_EQ(f->advice.find("early stopping"), std::string::npos) << f->advice;  // already on
}

// Augmentation transforms images: it is advised for an image model, not for a row of features or
// token ids, and not when the input is unknown.
TEST(Overfitting, RemediesFitTheInputKind) {
    const std::vector<double> val = {1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85};
    dx::FitContext image;
    image.input = dx::input_kind(false, 3);
    ASSERT_EQ(image.input, dx::InputKind::image);
    const auto f = dx::check_overfitting(kFalling, val, image);
    ASSERT_TRUE(f);
    EXPECT_NE(f->advice.find("data augmentation (--augment-flip"), std::string::npos) << f->advice;
    for (const auto kind :
         {dx::input_kind(false, 1), dx::input_kind(true, 1), dx::input_kind(false, 2), dx::InputKind::unknown}) {
        dx::FitContext other;
        other.input = kind;
        const auto g = dx::check_overfitting(kFalling, val, other);
        ASSERT_TRUE(g);
        EXPECT_EQ(g->advice.find("augment"), std::string::npos) << dx::input_kind_name(kind) << ": " << g->advice;
        EXPECT_NE(g->advice.find("weight decay"), std::string::npos) << g->advice;
    }
}

// The best epoch comes from one rule; given, the card names it (and early stopping's epoch).
TEST(Overfitting, NamesTheBestEpochItIsGiven) {
    const std::vector<double> val = {1.0, 0.8, 0.7, 0.65, 0.66, 0.78, 0.85, 0.9};
    const std::vector<double> train = {1.0, 0.8, 0.64, 0.51, 0.41, 0.33, 0.26, 0.2};
    EXPECT_EQ(dx::best_epoch_of(val), 4);
    EXPECT_EQ(dx::best_epoch_of({NAN, 2, 1, 1, 3}), 3);  // the first of equals; NaN never
    EXPECT_EQ(dx::best_epoch_of({NAN, NAN}), 0);
    dx::FitContext at5;
    at5.best_epoch = 5;  // e.g. early stopping with min_delta kept epoch 5
    const auto f = dx::check_overfitting(train, val, at5);
    ASSERT_TRUE(f);
    EXPECT_NE(f->message.find("at epoch 5 (the best epoch)"), std::string::npos) << f->message;
    EXPECT_NE(f->advice.find("weights of epoch 5"), std::string::npos) << f->advice;
}

TEST(Underfitting, RemediesFitTheInputAndTheLrVerdict) {
    const std::vector<double> train = {2.3, 2.25, 2.22, 2.21, 2.205, 2.2};
    const auto tokens = dx::check_underfitting(train, {}, std::log(10.0), dx::InputKind::tokens, false);
    ASSERT_TRUE(tokens);
    EXPECT_EQ(tokens->advice.find("--standardize"), std::string::npos) << tokens->advice;
    EXPECT_EQ(tokens->advice.find("learning rate"), std::string::npos) << tokens->advice;
    const auto rows = dx::check_underfitting(train, {}, std::log(10.0), dx::InputKind::tabular, true);
    ASSERT_TRUE(rows);
    EXPECT_NE(rows->advice.find("--standardize inputs"), std::string::npos) << rows->advice;
    EXPECT_NE(rows->advice.find("(2) a higher learning rate"), std::string::npos) << rows->advice;
}

TEST(Overfitting, SilentWhileValidationFallsOrBarelyRose) {
    EXPECT_FALSE(dx::check_overfitting(kFalling, {1.1, 0.9, 0.75, 0.64, 0.55, 0.5, 0.47}, {}));
    EXPECT_FALSE(dx::check_overfitting(kFalling, {1.0, 0.8, 0.7, 0.65, 0.6, 0.7, 0.8}, {}));      // 2 epochs past
    EXPECT_FALSE(dx::check_overfitting(kFalling, {1.0, 0.8, 0.7, 0.65, 0.66, 0.665, 0.67}, {}));  // < 5% up
    EXPECT_FALSE(dx::check_overfitting(kFalling, std::vector<double>(7, NAN), {}));               // no validation
}

TEST(Overfitting, SilentWhileValidationStaysBelowTraining) {
    // An unsettled start (a high lr's swings): validation turns up from a dip but the training loss,
    // still above it, is no sign of memorization yet.
    const std::vector<double> train = {2.3, 9.8, 3.2, 1.5, 1.45, 1.44, 1.43};
    EXPECT_FALSE(dx::check_overfitting(train, {62, 9.8, 3.1, 0.81, 1.6, 1.2, 1.08}, {}));
}

TEST(Overfitting, SilentWhenTheTrainingLossRisesToo) {
    // Both losses climbing is instability (an lr matter), not memorization.
    const std::vector<double> train = {1.0, 0.8, 0.7, 0.6, 0.7, 0.8, 0.9};
    EXPECT_FALSE(dx::check_overfitting(train, {1.0, 0.8, 0.7, 0.65, 0.7, 0.78, 0.85}, {}));
}

const double kLn10 = std::log(10.0);

TEST(Underfitting, HighAndFlatIsFlagged) {
    const std::vector<double> train = {2.3, 2.0, 1.9, 1.89, 1.885, 1.88};
    const std::vector<double> val = {2.3, 2.0, 1.95, 1.93, 1.93, 1.92};
    const auto f = dx::check_underfitting(train, val, kLn10);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, "underfitting");
    EXPECT_NE(f->message.find("1.88"), std::string::npos) << f->message;
    EXPECT_NE(f->advice.find("(1) more capacity"), std::string::npos) << f->advice;
    EXPECT_NE(f->advice.find("higher learning rate"), std::string::npos) << f->advice;
}

TEST(Underfitting, WithoutAReferenceTheFirstEpochStandsIn) {
    EXPECT_TRUE(dx::check_underfitting({10, 9, 8.9, 8.88, 8.87}, {}, NAN));
    EXPECT_FALSE(dx::check_underfitting({10, 3, 2.9, 2.88, 2.87}, {}, NAN));  // far below the first epoch
}

TEST(Underfitting, SilentWhenFittingStillFallingOrTooShort) {
    EXPECT_FALSE(
        dx::check_underfitting({2.3, 1.0, 0.5, 0.35, 0.33, 0.33}, {2.3, 1.0, 0.55, 0.4, 0.4, 0.4}, kLn10));  // low
    EXPECT_FALSE(dx::check_underfitting({2.3, 2.1, 1.95, 1.85, 1.75, 1.66}, {}, kLn10));  // still falling > 2%
    EXPECT_FALSE(dx::check_underfitting({2.3, 2.0, 1.9}, {}, kLn10));                     // too few epochs
    // High and flat training loss but validation far above it: that is not underfitting.
    EXPECT_FALSE(dx::check_underfitting({2.3, 2.0, 1.9, 1.89, 1.885, 1.88}, {2.3, 2.2, 2.4, 2.5, 2.6, 2.7}, kLn10));
}

}  // namespace
