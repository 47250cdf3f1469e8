// Gradient checks of the transformer family against float64 central finite differences
// (tests/codegen/gradient_check.h): layernorm, gelu (both forms), softmax over a chosen axis,
// attention with and without the causal mask, and per-position dense and softmax cross-entropy
// on sequences (with an ignore index). Widths are not multiples of the vector width.
#include "tests/codegen/gradient_check.h"

namespace nnc {
namespace {

using gradcheck::expect_gradients_match;
using Attrs = std::map<std::string, dsl::AttrValue>;

NNC_GRADIENT_CHECKED("layernorm", "gelu", "attention");

// x [dims] -> dense(units) -> op(attrs) -> mse: on a sequence, dense is per position.
dsl::CheckedModel after_dense(const std::string& op, std::vector<int64_t> dims, int64_t units, Attrs attrs = {}) {
    test::GraphBuilder g;
    int x = g.input("x", std::move(dims));
    int h = g.layer("h", "dense", {x}, {{"units", units}});
    int y = g.layer("y", op, {h}, std::move(attrs));
    g.layer("loss", "mse", {y, g.real_target("t", g.model().node(y).shape.dims)});
    return g.model();
}

TEST(GradientCheckTransformer, LayerNormFeatures) { expect_gradients_match(after_dense("layernorm", {4}, 7)); }
TEST(GradientCheckTransformer, LayerNormSequence) {
    expect_gradients_match(after_dense("layernorm", {3, 5}, 9, {{"eps", 1e-3}}));
}
TEST(GradientCheckTransformer, LayerNormNoAffine) {
    expect_gradients_match(after_dense("layernorm", {4, 3}, 5, {{"affine", false}}));
}

TEST(GradientCheckTransformer, GeluExact) { expect_gradients_match(after_dense("gelu", {3, 4}, 5)); }
TEST(GradientCheckTransformer, GeluTanh) {
    expect_gradients_match(after_dense("gelu", {5}, 7, {{"approximate", std::string("tanh")}}));
}

// Softmax over the positions (axis 0) of a [T, F] sequence, and over the middle axis of [2, 3, 5].
TEST(GradientCheckTransformer, SoftmaxAxis) {
    expect_gradients_match(after_dense("softmax", {4, 3}, 5, {{"axis", int64_t(0)}}));
    test::GraphBuilder g;  // straight on a [2, 3, 5] input: the input's gradient
    int y = g.layer("y", "softmax", {g.input("x", {2, 3, 5})}, {{"axis", int64_t(1)}});
    g.layer("loss", "mse", {y, g.real_target("t", {2, 3, 5})});
    expect_gradients_match(g.model());
}

// x [T, D] -> attention(heads, causal) -> mse, and the same behind a per-position dense.
dsl::CheckedModel attention_model(int64_t t, int64_t d, int64_t heads, bool causal, double dropout = 0) {
    test::GraphBuilder g;
    int x = g.input("x", {t, d});
    int y = g.layer("att", "attention", {x}, {{"heads", heads}, {"causal", causal}, {"dropout", dropout}});
    g.layer("loss", "mse", {y, g.real_target("t", {t, d})});
    return g.model();
}

TEST(GradientCheckTransformer, Attention) { expect_gradients_match(attention_model(4, 6, 2, false)); }
TEST(GradientCheckTransformer, AttentionCausal) { expect_gradients_match(attention_model(5, 6, 3, true)); }
TEST(GradientCheckTransformer, AttentionOneHeadCausal) { expect_gradients_match(attention_model(3, 5, 1, true)); }
// The harness's seed fixes the dropout mask, so the loss stays a smooth function of everything.
TEST(GradientCheckTransformer, AttentionDropout) { expect_gradients_match(attention_model(4, 6, 2, true, 0.3)); }

// Token ids [T] -> embedding -> layernorm -> causal attention -> add -> dense(V) -> per-position
// softmax cross-entropy against classes(V, [T]), label 0 ignored (some positions are padding).
TEST(GradientCheckTransformer, SequenceClassifierIgnoringPadding) {
    // Token ids below the vocabulary of 4; the usual range comes back however the test ends.
    struct TokenRange {
        const int usual = gradcheck::Harness::token_range;
        TokenRange() { gradcheck::Harness::token_range = 4; }
        ~TokenRange() { gradcheck::Harness::token_range = usual; }
    } const tokens;
    test::GraphBuilder g;
    int ids = g.tokens("ids", {3});
    int e = g.layer("emb", "embedding", {ids}, {{"vocab", int64_t(4)}, {"dim", int64_t(4)}});
    int n = g.layer("norm", "layernorm", {e});
    int a = g.layer("att", "attention", {n}, {{"heads", int64_t(2)}, {"causal", true}});
    int r = g.layer("res", "add", {e, a});
    int z = g.layer("logits", "dense", {r}, {{"units", int64_t(4)}});
    g.layer("loss", "softmax_cross_entropy", {z, g.sequence_classes("next", 4, {3})}, {{"ignore_index", int64_t(0)}});
    expect_gradients_match(g.model());
}

}  // namespace
}  // namespace nnc
