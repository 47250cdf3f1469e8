// Blocks and repeat: expansion into ordinary nodes (names, order, attributes, locations) and the
// use-site notes on errors inside an instance. Error wording is pinned by malformed/block_*.nn.
#include <gtest/gtest.h>

#include "dsl/frontend.h"
#include "tests/dsl/compile_helper.h"

namespace nnc::dsl {
namespace {

using testing::compile;
using testing::Result;

std::vector<std::string> names(const CheckedModel& m) {
    std::vector<std::string> out;
    for (const Node& n : m.nodes) out.push_back(n.name);
    return out;
}

const Node& by_name(const CheckedModel& m, const std::string& name) {
    for (const Node& n : m.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

// A block, used twice, with a parameter in an attribute and a default.
const char* kTwoUses = R"(block unit(x, units, init=he_normal) {
  fc = dense(x, units, init=init)
  out = relu(fc)
  return out
}

model m {
  input image: [8]
  target y: [3]
  u1 = unit(image, 16)
  u2 = unit(u1, units=3, init=xavier_uniform)
  loss = mse(u2, y)
}
)";

TEST(Blocks, EachUseBecomesRenamedNodes) {
    Result r = compile(kTwoUses);
    ASSERT_TRUE(r.model) << r.errors;
    const CheckedModel& m = *r.model;
    EXPECT_EQ(names(m), (std::vector<std::string>{"image", "y", "u1.fc", "u1", "u2.fc", "u2", "loss"}));
    for (size_t i = 0; i < m.nodes.size(); ++i) EXPECT_EQ(m.nodes[i].id, static_cast<int>(i));

    const Node& fc1 = by_name(m, "u1.fc");
    EXPECT_EQ(fc1.op, "dense");
    EXPECT_EQ(fc1.inputs, std::vector<int>{by_name(m, "image").id});
    EXPECT_EQ(fc1.attrs.get_int("units"), 16);
    EXPECT_EQ(fc1.attrs.get_init("init"), (InitSpec{"he_normal", 0.0}));  // the block's default
    EXPECT_EQ(fc1.shape, Shape{{16}});
    // Locations point at the statement inside the block.
    EXPECT_EQ(fc1.loc.line, 2);
    EXPECT_EQ(fc1.loc.col, 3);
    EXPECT_EQ(by_name(m, "u1").op, "relu");
    EXPECT_EQ(by_name(m, "u1").loc.line, 3);

    const Node& fc2 = by_name(m, "u2.fc");
    EXPECT_EQ(fc2.inputs, std::vector<int>{by_name(m, "u1").id});
    EXPECT_EQ(fc2.attrs.get_int("units"), 3);
    EXPECT_EQ(fc2.attrs.get_init("init"), (InitSpec{"xavier_uniform", 0.0}));
    EXPECT_EQ(by_name(m, "loss").inputs, (std::vector<int>{by_name(m, "u2").id, by_name(m, "y").id}));
}

TEST(Blocks, BlocksUseBlocksAndMayFollowTheModel) {
    Result r = compile(R"(model m {
  input x: [4]
  target y: [4]
  r1 = residual_like(x, 4)
  loss = mse(r1, y)
}

block residual_like(x, width) {
  a = unit(x, width)
  b = unit(a, width)
  out = tanh(b)
  return out
}

block unit(x, units) {
  fc = dense(x, units)
  out = relu(fc)
  return out
}
)");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_EQ(names(*r.model),
              (std::vector<std::string>{"x", "y", "r1.a.fc", "r1.a", "r1.b.fc", "r1.b", "r1", "loss"}));
    EXPECT_EQ(by_name(*r.model, "r1.b.fc").inputs, std::vector<int>{by_name(*r.model, "r1.a").id});
    EXPECT_EQ(by_name(*r.model, "r1.b.fc").loc.line, 16);
}

TEST(Blocks, RepeatChainsInstances) {
    Result r = compile(R"(block unit(x, units) {
  fc = dense(x, units)
  out = relu(fc)
  return out
}
model m {
  input x: [4]
  target y: [5]
  h = repeat 3 unit(x, 5)
  loss = mse(h, y)
}
)");
    ASSERT_TRUE(r.model) << r.errors;
    const CheckedModel& m = *r.model;
    EXPECT_EQ(names(m), (std::vector<std::string>{"x", "y", "h.1.fc", "h.1", "h.2.fc", "h.2", "h.3.fc", "h", "loss"}));
    EXPECT_EQ(by_name(m, "h.1.fc").inputs, std::vector<int>{by_name(m, "x").id});
    EXPECT_EQ(by_name(m, "h.2.fc").inputs, std::vector<int>{by_name(m, "h.1").id});
    EXPECT_EQ(by_name(m, "h.3.fc").inputs, std::vector<int>{by_name(m, "h.2").id});
    EXPECT_EQ(by_name(m, "h.1.fc").shape, Shape{{5}});
    EXPECT_EQ(by_name(m, "h.3.fc").attrs.get_int("units"), 5);
}

TEST(Blocks, RepeatCountAndAttributesFromParameters) {
    Result r = compile(R"(block unit(x, units) {
  fc = dense(x, units)
  out = relu(fc)
  return out
}
block stage(x, depth, units) {
  h = repeat depth unit(x, units)
  return h
}
model m {
  input x: [4]
  target y: [6]
  s1 = stage(x, depth=2, units=6)
  loss = mse(s1, y)
}
)");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_EQ(names(*r.model), (std::vector<std::string>{"x", "y", "s1.h.1.fc", "s1.h.1", "s1.h.2.fc", "s1", "loss"}));
}

TEST(Blocks, RepeatOnceIsOneInstance) {
    Result r = compile(R"(block unit(x) {
  out = relu(x)
  return out
}
model m {
  input x: [4]
  target y: [4]
  h = repeat 1 unit(x)
  loss = mse(h, y)
}
)");
    ASSERT_TRUE(r.model) << r.errors;
    EXPECT_EQ(names(*r.model), (std::vector<std::string>{"x", "y", "h", "loss"}));
}

TEST(Blocks, ErrorsInsideAnInstanceNameTheUseSite) {
    Result r = compile(R"(block unit(x, units) {
  fc = dense(x, units)
  out = relu(fc)
  return out
}
model m {
  input x: [4]
  target y: [3]
  u = unit(x, -2)
  loss = mse(u, y)
}
)");
    ASSERT_FALSE(r.model);
    EXPECT_NE(r.errors.find("t.nn:9:7: note: in block 'unit' used here"), std::string::npos) << r.errors;
}

TEST(Blocks, ABlockSeesOnlyItsParameters) {
    Result r = compile(R"(block unit(x) {
  out = dense(image, 3)
  return out
}
model m {
  input image: [4]
  target y: [3]
  u = unit(image)
  loss = mse(u, y)
}
)");
    ASSERT_FALSE(r.model);
    EXPECT_NE(r.errors.find("t.nn:2:15: error: undefined name 'image' in block 'unit'"), std::string::npos) << r.errors;
    // The failed use is not echoed as an unknown layer or an unused input.
    EXPECT_EQ(r.errors.find("unknown"), std::string::npos) << r.errors;
    EXPECT_EQ(r.errors.find("never used"), std::string::npos) << r.errors;
}

TEST(Blocks, TensorArgumentMustBeAName) {
    Result r = compile(R"(block unit(x) {
  out = relu(x)
  return out
}
model m {
  input image: [4]
  target y: [4]
  u = unit(3)
  loss = mse(image, y)
}
)");
    ASSERT_FALSE(r.model);
    EXPECT_NE(r.errors.find("t.nn:8:12: error: argument 'x' of block 'unit' is a tensor input"), std::string::npos)
        << r.errors;
}

}  // namespace
}  // namespace nnc::dsl
