// Gradient checks of the recurrent layers (lstm, gru) and of embedding against float64 central
// finite differences (tests/codegen/gradient_check.h): every weight, both biases and the input
// sequence, with odd sizes (T = 4, F = 3, H = 5) and both return_sequences settings.
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {

using gradcheck::expect_gradients_match;

NNC_GRADIENT_CHECKED("lstm", "gru", "embedding");

// x [T, F] -> op(hidden) -> (flatten) -> dense(2) -> loss.
dsl::CheckedModel recurrent_model(const std::string& op, bool sequences, int64_t T = 4, int64_t F = 3, int64_t H = 5) {
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

// Token ids [T] -> embedding(vocab, dim) -> op -> dense -> loss: the table's scatter-add gradient,
// with repeated ids (7 ids drawn for 4 x 3 or 4 x 11 positions), through a recurrent layer.
dsl::CheckedModel embedding_model(const std::string& op) {
    test::GraphBuilder g;
    int ids = g.tokens("ids", {4});
    int e = g.layer("emb", "embedding", {ids}, {{"vocab", int64_t(7)}, {"dim", int64_t(3)}});
    int r = op == "flatten" ? g.layer("flat", op, {e}) : g.layer("rnn", op, {e}, {{"hidden", int64_t(5)}});
    int fc = g.layer("fc", "dense", {r}, {{"units", int64_t(2)}});
    g.layer("loss", "softmax_cross_entropy", {fc, g.classes("label", 2)});
    return g.model();
}

struct TokenRange {
    explicit TokenRange(int vocab) : saved(gradcheck::Harness::token_range) { gradcheck::Harness::token_range = vocab; }
    ~TokenRange() { gradcheck::Harness::token_range = saved; }
    int saved;
};

TEST(GradientCheckRnn, EmbeddingDense) {
    TokenRange range(7);
    expect_gradients_match(embedding_model("flatten"));
}
TEST(GradientCheckRnn, EmbeddingLstm) {
    TokenRange range(7);
    expect_gradients_match(embedding_model("lstm"));
}

TEST(GradientCheckRnn, ShapeErrorsNameTheSequence) {
    test::GraphBuilder g;
    int x = g.input("x", {12});
    try {
        g.layer("rnn", "lstm", {x}, {{"hidden", int64_t(4)}});
        FAIL() << "lstm accepted a rank-1 input";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("lstm expects a sequence [T, F], got [12]"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace nnc
