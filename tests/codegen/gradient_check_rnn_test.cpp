// Gradient checks of the recurrent layers (lstm, gru) and of embedding against float64 central
// finite differences (tests/codegen/gradient_check.h): every weight, both biases and the input
// sequence, with odd sizes (T = 4, F = 3, H = 5) and both return_sequences settings.
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {

using gradcheck::expect_gradients_match;

NNC_GRADIENT_CHECKED("lstm", "gru");

// x [T, F] -> op(hidden) -> (flatten) -> dense(2) -> loss.
dsl::CheckedModel recurrent_model(const std::string& op, bool sequences, int64_t T = 4, int64_t F = 3,
                                  int64_t H = 5) {
    test::GraphBuilder g;
    int x = g.input("x", {T, F});
    int r = g.layer("rnn", op, {x}, {{"hidden", H}, {"return_sequences", sequences}});
    if (sequences) r = g.layer("flat", "flatten", {r});
    int fc = g.layer("fc", "dense", {r}, {{"units", int64_t(2)}});
    if (sequences) {
        g.layer("loss", "mse", {fc, g.real_target("y", {2})});
    } else {
        g.layer("loss", "softmax_cross_entropy", {fc, g.classes("label", 2)});
    }
    return g.model();
}

TEST(GradientCheckRnn, LstmLastState) { expect_gradients_match(recurrent_model("lstm", false)); }
TEST(GradientCheckRnn, LstmSequences) { expect_gradients_match(recurrent_model("lstm", true)); }
TEST(GradientCheckRnn, GruLastState) { expect_gradients_match(recurrent_model("gru", false)); }
TEST(GradientCheckRnn, GruSequences) { expect_gradients_match(recurrent_model("gru", true)); }

}  // namespace
}  // namespace nnc
