// Checker: the sample model end to end, forward references, typed attributes, train config,
// and the checks that need more than a golden file to pin (values in the CheckedModel).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dsl/frontend.h"
#include "tests/dsl/compile_helper.h"

namespace nnc::dsl {
namespace {

using testing::compile;
using testing::Result;

const Node& by_name(const CheckedModel& m, const std::string& name) {
    for (const Node& n : m.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

TEST(Checker, FashionMlpSample) {
    std::ifstream in(std::string(NNC_SAMPLES_DIR) + "/fashion_mlp.nn");
    std::ostringstream text;
    text << in.rdbuf();
    Result r = compile(text.str());
    ASSERT_TRUE(r.model) << r.errors;
    const CheckedModel& m = *r.model;
    EXPECT_EQ(m.name, "fashion_mlp");
    ASSERT_EQ(m.nodes.size(), 8u);
    // Source order is already topological, so it is kept (label precedes fc1 as written).
    std::vector<std::string> got;
    for (const Node& n : m.nodes) got.push_back(n.name);
    EXPECT_EQ(got, (std::vector<std::string>{"image", "label", "fc1", "h1", "fc2", "h2", "logits", "loss"}));
    for (size_t i = 0; i < m.nodes.size(); ++i) EXPECT_EQ(m.nodes[i].id, static_cast<int>(i));

    const Node& image = by_name(m, "image");
    EXPECT_EQ(image.kind, NodeKind::Input);
    EXPECT_EQ(image.op, "input");
    EXPECT_EQ(image.shape, Shape{{784}});
    EXPECT_EQ(image.loc.line, 3);
    EXPECT_EQ(image.loc.col, 10);

    const Node& label = by_name(m, "label");
    EXPECT_EQ(label.kind, NodeKind::Target);
    EXPECT_EQ(label.target_kind, TargetKind::Classes);
    EXPECT_EQ(label.num_classes, 10);
    EXPECT_EQ(label.shape, Shape{});

    const Node& fc1 = by_name(m, "fc1");
    EXPECT_EQ(fc1.op, "dense");
    EXPECT_EQ(fc1.inputs, std::vector<int>{image.id});
    EXPECT_EQ(fc1.attrs.get_int("units"), 512);
    EXPECT_EQ(fc1.attrs.get_init("init"), (InitSpec{"he_normal", 0.0}));
    EXPECT_TRUE(fc1.attrs.get_bool("bias"));  // default filled in
    EXPECT_EQ(fc1.shape, Shape{{512}});

    EXPECT_EQ(by_name(m, "fc2").attrs.get_int("units"), 512);  // positional attribute
    EXPECT_EQ(by_name(m, "h2").shape, Shape{{512}});
    const Node& logits = by_name(m, "logits");
    EXPECT_EQ(logits.shape, Shape{{10}});

    const Node& loss = by_name(m, "loss");
    EXPECT_EQ(loss.kind, NodeKind::Loss);
    EXPECT_EQ(loss.op, "softmax_cross_entropy");
    EXPECT_EQ(loss.inputs, (std::vector<int>{logits.id, label.id}));
    EXPECT_EQ(loss.shape, Shape{});
    EXPECT_EQ(loss.attrs.get_string("target_kind"), "classes");
    EXPECT_EQ(loss.attrs.get_int("num_classes"), 10);
    EXPECT_DOUBLE_EQ(loss.loss_weight, 1.0);

    EXPECT_EQ(m.inputs, std::vector<int>{image.id});
    EXPECT_EQ(m.targets, std::vector<int>{label.id});
    EXPECT_EQ(m.losses, std::vector<int>{loss.id});

    EXPECT_EQ(m.train.optimizer.name, "adam");
    EXPECT_DOUBLE_EQ(m.train.optimizer.lr, 3e-4);
    EXPECT_DOUBLE_EQ(m.train.optimizer.beta1, 0.9);
    EXPECT_DOUBLE_EQ(m.train.optimizer.beta2, 0.999);
    EXPECT_DOUBLE_EQ(m.train.optimizer.eps, 1e-8);
    EXPECT_EQ(m.train.batch, 64);
    EXPECT_EQ(m.train.epochs, 2);
    EXPECT_EQ(m.train.seed, 1u);
    EXPECT_EQ(m.train.validation, 5000);
}

TEST(Checker, ForwardReferencesAreSortedTopologically) {
    Result r = compile(R"(model m {
  loss = mse(out, y)
  out = dense(h, 3)
  h = tanh(a)
  a = dense(x, units=8, init=gaussian(0.01), bias=false)
  target y: [3]
  input x: [5]
})");
    ASSERT_TRUE(r.model) << r.errors;
    const CheckedModel& m = *r.model;
    for (const Node& n : m.nodes)
        for (int in : n.inputs) EXPECT_LT(in, n.id) << n.name;
    const Node& a = by_name(m, "a");
    EXPECT_EQ(a.attrs.get_init("init"), (InitSpec{"gaussian", 0.01}));
    EXPECT_FALSE(a.attrs.get_bool("bias"));
    EXPECT_EQ(by_name(m, "out").shape, Shape{{3}});
    EXPECT_EQ(by_name(m, "y").target_kind, TargetKind::Real);
    EXPECT_EQ(by_name(m, "loss").attrs.get_string("target_kind"), "real");
    // Defaults when there is no train section.
    EXPECT_EQ(m.train.optimizer.name, "adam");
    EXPECT_EQ(m.train.batch, 64);
}

TEST(Checker, SgdDefaultsAndOptions) {
    Result r = compile(R"(model m {
  input x: [2]
  target y: [1]
  p = dense(x, 1, uniform(a=0.05))
  loss = mse(p, y)
  train {
    optimizer = sgd(nesterov=true, weight_decay=5e-4)
  }
})");
    ASSERT_TRUE(r.model) << r.errors;
    const OptimizerConfig& o = r.model->train.optimizer;
    EXPECT_EQ(o.name, "sgd");
    EXPECT_DOUBLE_EQ(o.lr, 0.01);
    EXPECT_DOUBLE_EQ(o.momentum, 0.9);
    EXPECT_TRUE(o.nesterov);
    EXPECT_DOUBLE_EQ(o.weight_decay, 5e-4);
    EXPECT_EQ(by_name(*r.model, "p").attrs.get_init("init"), (InitSpec{"uniform", 0.05}));
}

TEST(Checker, BareOptimizerNameAndIntegerLearningRate) {
    Result r = compile(
        "model m {\n input x: [2]\n target y: [2]\n loss = mse(x, y)\n"
        " train { optimizer = sgd }\n}\n");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_EQ(r.model->train.optimizer.name, "sgd");
    EXPECT_DOUBLE_EQ(r.model->train.optimizer.lr, 0.01);
    r = compile(
        "model m {\n input x: [2]\n target y: [2]\n loss = mse(x, y)\n"
        " train { optimizer = adam(1) }\n}\n");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_DOUBLE_EQ(r.model->train.optimizer.lr, 1.0);
}

TEST(Checker, LossWeight) {
    Result r = compile("model m {\n input x: [2]\n target y: [2]\n loss = mse(x, y, weight=0.5)\n}\n");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_DOUBLE_EQ(r.model->node(r.model->losses[0]).loss_weight, 0.5);
}

TEST(Checker, AllInitializers) {
    for (const std::string init : {"he_normal", "he_uniform", "xavier_uniform", "xavier_normal", "zeros", "ones"}) {
        Result r = compile("model m {\n input x: [2]\n target y: [2]\n p = dense(x, 2, init=" + init +
                           ")\n loss = mse(p, y)\n}\n");
        ASSERT_TRUE(r.model) << init << "\n" << r.errors;
        EXPECT_EQ(by_name(*r.model, "p").attrs.get_init("init").kind, init);
    }
}

// A sequence model: per-position dense on [T, F], a classes(C, [T]) target (positional or by
// name), the loss's ignore_index.
TEST(Checker, SequenceTargetsAndPerPositionLayers) {
    for (const std::string target : {"classes(5, [4])", "classes(5, shape=[4])"}) {
        Result r = compile("model m {\n input x: [4, 3]\n target next: " + target +
                           "\n h = layernorm(x)\n a = attention(h, heads=3, causal=true)\n"
                           " z = dense(a, 5)\n loss = softmax_cross_entropy(z, next, ignore_index=0)\n}\n");
        ASSERT_TRUE(r.model) << target << "\n" << r.errors;
        const Node& next = by_name(*r.model, "next");
        EXPECT_EQ(next.target_kind, TargetKind::Classes);
        EXPECT_EQ(next.num_classes, 5);
        EXPECT_EQ(next.shape.dims, (std::vector<int64_t>{4}));
        EXPECT_EQ(by_name(*r.model, "z").shape.dims, (std::vector<int64_t>{4, 5}));
        EXPECT_EQ(by_name(*r.model, "a").shape.dims, (std::vector<int64_t>{4, 3}));
        EXPECT_EQ(by_name(*r.model, "loss").attrs.get_int("ignore_index"), 0);
    }
    Result plain = compile("model m {\n input x: [4]\n target y: classes(4)\n loss = softmax_cross_entropy(x, y)\n}\n");
    ASSERT_TRUE(plain.model) << plain.errors;
    EXPECT_TRUE(by_name(*plain.model, "y").shape.dims.empty());
    EXPECT_EQ(by_name(*plain.model, "loss").attrs.get_int("ignore_index"), -100);  // torch's default
}

TEST(Checker, ReportsEveryErrorInOneRun) {
    Result r = compile(R"(model m {
  input x: [4]
  target y: classes(3)
  a = dens(x, 3)
  b = relu(q)
  c = dense(x, units=1.5)
  loss = softmax_cross_entropy(c, y)
})");
    EXPECT_FALSE(r.model);
    EXPECT_NE(r.errors.find("t.nn:4:7: error: unknown layer 'dens'"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("t.nn:5:12: error: undefined name 'q'"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("t.nn:6:22: error: attribute 'units' of 'dense' expects an integer, got 1.5"),
              std::string::npos)
        << r.errors;
    EXPECT_NE(r.errors.find("t.nn:5:3: error: layer 'b' is never used"), std::string::npos) << r.errors;
}

TEST(Checker, WorksWithAnyCatalog) {
    // An empty catalog: every op is unknown, and the note lists no ops rather than crashing.
    struct Empty final : OpCatalog {
        const OpSpec* find(const std::string&) const override { return nullptr; }
        std::vector<std::string> names() const override { return {}; }
    } empty;
    SourceFile f("t.nn", "model m {\n input x: [2]\n target y: [2]\n loss = mse(x, y)\n}\n");
    Diagnostics d;
    EXPECT_FALSE(compile_model(f, empty, d));
    EXPECT_NE(d.render().find("unknown loss 'mse'"), std::string::npos) << d.render();
}

// Several targets and weighted losses make a multi-task model; each loss keeps its weight.
TEST(Checker, MultiTaskTargetsAndWeightedLosses) {
    Result r = compile(R"(model m {
  input x: [4]
  target y: [2]
  target c: classes(3)
  h = dense(x, 8)
  p = dense(h, 2)
  q = dense(h, 3)
  loss reg = mse(p, y, weight=0.5)
  loss cls = softmax_cross_entropy(q, c)
})");
    ASSERT_TRUE(r.model) << r.errors;
    ASSERT_EQ(r.model->targets.size(), 2u);
    ASSERT_EQ(r.model->losses.size(), 2u);
    EXPECT_EQ(r.model->node(r.model->losses[0]).name, "reg");
    EXPECT_DOUBLE_EQ(r.model->node(r.model->losses[0]).loss_weight, 0.5);
    EXPECT_EQ(r.model->node(r.model->losses[1]).name, "cls");
    EXPECT_DOUBLE_EQ(r.model->node(r.model->losses[1]).loss_weight, 1.0);
}

// `float32` may be written out; it is the default (int32 inputs are checked with embedding).
TEST(Checker, Float32InputMayBeWrittenOut) {
    Result ok = compile(R"(model m {
  input t: float32[8]
  target y: classes(2)
  h = dense(t, 2)
  loss = softmax_cross_entropy(h, y)
})");
    ASSERT_TRUE(ok.model) << ok.errors;
    EXPECT_EQ(ok.model->node(ok.model->inputs[0]).dtype, DType::Float32);
}

// He initialization suits ReLU; a layer feeding only tanh or sigmoid gets Glorot unless the
// file chooses.
TEST(Checker, DefaultInitializerFollowsTheActivation) {
    Result r = compile(R"(model m {
  input x: [4]
  target y: classes(2)
  a = dense(x, 8)
  ta = tanh(a)
  b = dense(ta, 8, init=he_normal)
  sb = sigmoid(b)
  c = dense(sb, 8)
  rc = relu(c)
  d = dense(rc, 2)
  loss = softmax_cross_entropy(d, y)
})");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_EQ(by_name(*r.model, "a").attrs.get_init("init").kind, "xavier_uniform");  // feeds tanh
    EXPECT_EQ(by_name(*r.model, "b").attrs.get_init("init").kind, "he_normal");       // written
    EXPECT_EQ(by_name(*r.model, "c").attrs.get_init("init").kind, "he_normal");       // feeds relu
    EXPECT_EQ(by_name(*r.model, "d").attrs.get_init("init").kind, "he_normal");       // feeds the loss
}

}  // namespace
}  // namespace nnc::dsl
