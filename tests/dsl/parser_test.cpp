// Parser: statement forms, values, wrapping, error recovery.
#include <gtest/gtest.h>

#include "dsl/lexer.h"
#include "dsl/parser.h"

namespace nnc::dsl {
namespace {

struct Parsed {
    ast::File file;
    std::string errors;
    int error_count = 0;
};

Parsed parse_text(const std::string& text) {
    SourceFile f("t.nn", text);
    Diagnostics d;
    Parsed p;
    p.file = parse(lex(f, d), f, d);
    p.errors = d.render();
    p.error_count = d.error_count();
    return p;
}

TEST(Parser, AllStatementKinds) {
    auto p = parse_text(R"(model m {
  input x: [1, 28, 28]
  target y: classes(10)
  h = dense(x, units=5, init=gaussian(std=0.01))
  loss = mse(h, y)
  loss aux = mse(h, y, weight=0.5)
  train { batch = 8 }
})");
    ASSERT_EQ(p.error_count, 0) << p.errors;
    ASSERT_EQ(p.file.models.size(), 1u);
    const ast::Model& m = p.file.models[0];
    EXPECT_EQ(m.name, "m");
    ASSERT_EQ(m.stmts.size(), 6u);
    EXPECT_EQ(m.stmts[0].kind, ast::Stmt::Kind::Input);
    EXPECT_EQ(m.stmts[0].value.items.size(), 3u);
    EXPECT_EQ(m.stmts[1].kind, ast::Stmt::Kind::Target);
    EXPECT_EQ(m.stmts[1].value.kind, ast::Value::Kind::Call);
    const ast::Stmt& h = m.stmts[2];
    EXPECT_EQ(h.kind, ast::Stmt::Kind::Layer);
    EXPECT_EQ(h.name, "h");
    EXPECT_EQ(h.value.text, "dense");
    ASSERT_EQ(h.value.args.size(), 3u);
    EXPECT_TRUE(h.value.args[0].positional());
    EXPECT_EQ(h.value.args[1].key, "units");
    EXPECT_EQ(h.value.args[2].value.kind, ast::Value::Kind::Call);
    EXPECT_EQ(h.value.args[2].value.args[0].key, "std");
    EXPECT_EQ(m.stmts[3].kind, ast::Stmt::Kind::Loss);
    EXPECT_EQ(m.stmts[3].name, "");
    EXPECT_EQ(m.stmts[4].name, "aux");
    EXPECT_EQ(m.stmts[5].kind, ast::Stmt::Kind::Train);
    ASSERT_EQ(m.stmts[5].settings.size(), 1u);
    EXPECT_EQ(m.stmts[5].settings[0].key, "batch");
}

TEST(Parser, Values) {
    auto p = parse_text("model m {\n  a = f(-3, -0.5, true, false, \"s\", [1, [2]], g(), k)\n}\n");
    ASSERT_EQ(p.error_count, 0) << p.errors;
    const auto& args = p.file.models[0].stmts[0].value.args;
    ASSERT_EQ(args.size(), 8u);
    EXPECT_EQ(args[0].value.int_value, -3);
    EXPECT_EQ(args[0].value.span.length, 2);
    EXPECT_DOUBLE_EQ(args[1].value.float_value, -0.5);
    EXPECT_TRUE(args[2].value.bool_value);
    EXPECT_FALSE(args[3].value.bool_value);
    EXPECT_EQ(args[4].value.text, "s");
    EXPECT_EQ(args[5].value.items[1].items[0].int_value, 2);
    EXPECT_EQ(args[6].value.kind, ast::Value::Kind::Call);
    EXPECT_TRUE(args[6].value.args.empty());
    EXPECT_EQ(args[7].value.kind, ast::Value::Kind::Ident);
}

TEST(Parser, CallsMayWrapAndTrailingCommas) {
    auto p = parse_text("model m {\n  a = dense(x,\n            units=3,\n  )\n  b = relu(a)\n}\n");
    ASSERT_EQ(p.error_count, 0) << p.errors;
    EXPECT_EQ(p.file.models[0].stmts.size(), 2u);
}

TEST(Parser, CallSpanCoversWholeCall) {
    auto p = parse_text("model m {\n  a = dense(x, 3)\n}\n");
    const ast::Value& call = p.file.models[0].stmts[0].value;
    EXPECT_EQ(call.span.loc.col, 7);
    EXPECT_EQ(call.span.length, 11);
    EXPECT_EQ(call.callee_span.length, 5);
}

TEST(Parser, RecoversAtNextStatement) {
    auto p = parse_text("model m {\n  a = dense(x 3)\n  b relu(a)\n  c = relu(b)\n  d = 5\n}\n");
    EXPECT_EQ(p.error_count, 3) << p.errors;
    // The good statement after the bad ones still parsed.
    ASSERT_EQ(p.file.models[0].stmts.size(), 1u);
    EXPECT_EQ(p.file.models[0].stmts[0].name, "c");
}

TEST(Parser, UnclosedCallAtEndOfLineResumesOnNextLine) {
    auto p = parse_text("model m {\n  a = relu(x\n  b = relu(a)\n}\n");
    EXPECT_EQ(p.error_count, 1) << p.errors;
    EXPECT_NE(p.errors.find("t.nn:2:13: error: expected ',' or ')' in call to 'relu'"), std::string::npos) << p.errors;
    ASSERT_EQ(p.file.models[0].stmts.size(), 1u);
    EXPECT_EQ(p.file.models[0].stmts[0].name, "b");
}

TEST(Parser, MissingClosingBrace) {
    auto p = parse_text("model m {\n  a = relu(x)\n");
    EXPECT_EQ(p.error_count, 1);
    EXPECT_NE(p.errors.find("t.nn:2:14: error: expected '}' to close model 'm'"), std::string::npos) << p.errors;
    EXPECT_NE(p.errors.find("t.nn:1:9: note: model 'm' opened here"), std::string::npos) << p.errors;
}

TEST(Parser, BlockInsideModelIsAnError) {
    auto p = parse_text("model m {\n  block b(x) {\n    y = relu(x)\n    return y\n  }\n  a = relu(x)\n}\n");
    EXPECT_EQ(p.error_count, 1);
    EXPECT_NE(p.errors.find("t.nn:2:3: error: blocks are defined outside the model"), std::string::npos) << p.errors;
    ASSERT_EQ(p.file.models.size(), 1u);
    ASSERT_EQ(p.file.models[0].stmts.size(), 1u);  // recovery skips the whole block
    EXPECT_EQ(p.file.models[0].stmts[0].name, "a");
}

TEST(Parser, Block) {
    auto p = parse_text(
        "block unit(x, units, init=he_normal) {\n"
        "  h = dense(x, units, init=init)\n"
        "  y = relu(h)\n"
        "  return y\n"
        "}\n"
        "model m {\n  a = unit(x, 4)\n}\n");
    EXPECT_EQ(p.error_count, 0) << p.errors;
    ASSERT_EQ(p.file.blocks.size(), 1u);
    const ast::Block& b = p.file.blocks[0];
    EXPECT_EQ(b.name, "unit");
    ASSERT_EQ(b.params.size(), 3u);
    EXPECT_EQ(b.params[1].name, "units");
    EXPECT_FALSE(b.params[1].default_value);
    ASSERT_TRUE(b.params[2].default_value);
    EXPECT_EQ(b.params[2].default_value->text, "he_normal");
    ASSERT_EQ(b.stmts.size(), 2u);
    EXPECT_EQ(b.result, "y");
    EXPECT_EQ(b.result_span.loc.line, 4);
    EXPECT_EQ(b.result_span.loc.col, 10);
}

TEST(Parser, BlockStatementsMustBeLayersAndEndWithReturn) {
    auto p = parse_text(
        "block b(x) {\n"
        "  input z: [3]\n"
        "  y = relu(x)\n"
        "  return y\n"
        "  w = relu(y)\n"
        "}\n");
    EXPECT_EQ(p.error_count, 2) << p.errors;
    EXPECT_NE(p.errors.find("t.nn:2:3: error: a block holds layer statements only; 'input' belongs in the model"),
              std::string::npos)
        << p.errors;
    EXPECT_NE(p.errors.find("t.nn:5:3: error: statement after 'return' in block 'b'"), std::string::npos) << p.errors;
}

TEST(Parser, Repeat) {
    auto p = parse_text("model m {\n  h = repeat 3 unit(x, 4)\n  g = repeat unit(x)\n}\n");
    EXPECT_EQ(p.error_count, 1) << p.errors;
    EXPECT_EQ(p.errors.find("t.nn:2:"), std::string::npos) << p.errors;
    const ast::Stmt& s = p.file.models[0].stmts[0];
    ASSERT_TRUE(s.repeat_count);
    EXPECT_EQ(s.repeat_count->int_value, 3);
    EXPECT_EQ(s.value.text, "unit");
    EXPECT_NE(p.errors.find("t.nn:3:21: error: expected a block call after 'repeat', found end of line"),
              std::string::npos)
        << p.errors;
}

TEST(Parser, ReturnIsAnOrdinaryNameOutsideBlocks) {
    auto p = parse_text("model m {\n  return = relu(x)\n}\n");
    EXPECT_EQ(p.error_count, 0) << p.errors;
    EXPECT_EQ(p.file.models[0].stmts[0].name, "return");
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
    auto p = parse_text("model m {\n  a = f(" + std::string(10000, '[') + ")\n  b = relu(a)\n}\n");
    EXPECT_EQ(p.error_count, 1);
    EXPECT_NE(p.errors.find("values nested more than 64 deep"), std::string::npos) << p.errors.substr(0, 300);
    EXPECT_EQ(p.file.models[0].stmts.size(), 1u);
}

TEST(Parser, DumpAst) {
    SourceFile f("t.nn", "model m {\n  input x: [4]\n  a = dense(x, units=2)\n  train { batch = 8 }\n}\n");
    Diagnostics d;
    EXPECT_EQ(dump_ast(parse(lex(f, d), f, d)),
              "model m @1:7\n"
              "  input x @2:3\n"
              "    list @2:12\n"
              "      int 4 @2:13\n"
              "  layer a @3:3\n"
              "    call dense @3:7\n"
              "      ident x @3:13\n"
              "      units = int 2 @3:22\n"
              "  train @4:3\n"
              "    batch = int 8 @4:19\n");
}

}  // namespace
}  // namespace nnc::dsl
