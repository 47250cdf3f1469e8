// Lexer: token kinds, values, locations, comments, and lexical errors.
#include <gtest/gtest.h>

#include "dsl/lexer.h"

namespace nnc::dsl {
namespace {

std::vector<Token> lex_ok(const std::string& text) {
    SourceFile f("t.nn", text);
    Diagnostics d;
    auto toks = lex(f, d);
    EXPECT_EQ(d.error_count(), 0) << d.render();
    return toks;
}

std::vector<TokenKind> kinds(const std::vector<Token>& toks) {
    std::vector<TokenKind> k;
    for (const Token& t : toks) k.push_back(t.kind);
    return k;
}

TEST(Lexer, LayerStatement) {
    auto t = lex_ok("fc1 = dense(image, units=512)\n");
    using K = TokenKind;
    EXPECT_EQ(kinds(t), (std::vector<K>{K::Ident, K::Equals, K::Ident, K::LParen, K::Ident, K::Comma, K::Ident,
                                        K::Equals, K::Int, K::RParen, K::Newline, K::Eof}));
    EXPECT_EQ(t[0].text, "fc1");
    EXPECT_EQ(t[8].int_value, 512);
    EXPECT_EQ(t[8].loc.line, 1);
    EXPECT_EQ(t[8].loc.col, 26);
    EXPECT_EQ(t[8].length, 3);
}

TEST(Lexer, Keywords) {
    auto t = lex_ok("model input target loss train true false block repeat models");
    using K = TokenKind;
    EXPECT_EQ(kinds(t), (std::vector<K>{K::KwModel, K::KwInput, K::KwTarget, K::KwLoss, K::KwTrain, K::KwTrue,
                                        K::KwFalse, K::KwBlock, K::KwRepeat, K::Ident, K::Eof}));
}

TEST(Lexer, Numbers) {
    auto t = lex_ok("0 42 0.5 3e-4 1E+2 2.5e3 -7");
    EXPECT_EQ(t[0].kind, TokenKind::Int);
    EXPECT_EQ(t[1].int_value, 42);
    EXPECT_EQ(t[2].kind, TokenKind::Float);
    EXPECT_DOUBLE_EQ(t[2].float_value, 0.5);
    EXPECT_DOUBLE_EQ(t[3].float_value, 3e-4);
    EXPECT_DOUBLE_EQ(t[4].float_value, 100.0);
    EXPECT_DOUBLE_EQ(t[5].float_value, 2500.0);
    // The sign is a separate token; the parser folds it into the literal.
    EXPECT_EQ(t[6].kind, TokenKind::Minus);
    EXPECT_EQ(t[7].int_value, 7);
}

TEST(Lexer, StringsAndEscapes) {
    auto t = lex_ok(R"("data/train.csv" "a\"b\\c\n")");
    EXPECT_EQ(t[0].kind, TokenKind::String);
    EXPECT_EQ(t[0].text, "data/train.csv");
    EXPECT_EQ(t[0].length, 16);
    EXPECT_EQ(t[1].text, "a\"b\\c\n");
}

TEST(Lexer, CommentsAndLocations) {
    auto t = lex_ok("# header\n  x // trailing\n\ty # tab\n");
    ASSERT_EQ(t.size(), 6u);  // \n x \n y \n eof: a comment line still ends with its newline
    EXPECT_EQ(t[0].kind, TokenKind::Newline);
    EXPECT_EQ(t[1].text, "x");
    EXPECT_EQ(t[1].loc.line, 2);
    EXPECT_EQ(t[1].loc.col, 3);
    EXPECT_EQ(t[3].text, "y");
    EXPECT_EQ(t[3].loc.line, 3);
    EXPECT_EQ(t[3].loc.col, 2);
}

TEST(Lexer, EofSitsAfterLastCharacter) {
    auto t = lex_ok("model m {\n  x = relu(y)\n\n\n");
    EXPECT_EQ(t.back().kind, TokenKind::Eof);
    EXPECT_EQ(t.back().loc.line, 2);
    EXPECT_EQ(t.back().loc.col, 14);
}

TEST(Lexer, ErrorsAreReportedAndSkipped) {
    SourceFile f("t.nn", "a @ b\n\"open\nc 12ab 1e\n");
    Diagnostics d;
    auto t = lex(f, d);
    EXPECT_EQ(d.error_count(), 4) << d.render();
    const std::string r = d.render();
    EXPECT_NE(r.find("t.nn:1:3: error: unexpected character '@'"), std::string::npos) << r;
    EXPECT_NE(r.find("t.nn:2:1: error: unterminated string"), std::string::npos) << r;
    EXPECT_NE(r.find("t.nn:3:3: error: malformed number '12ab'"), std::string::npos) << r;
    EXPECT_NE(r.find("t.nn:3:8: error: malformed number '1e'"), std::string::npos) << r;
    // The stream goes on past the errors.
    EXPECT_EQ(t[0].text, "a");
    EXPECT_EQ(t[1].text, "b");
}

TEST(Lexer, DumpTokens) {
    SourceFile f("t.nn", "x = relu(y)");
    Diagnostics d;
    EXPECT_EQ(dump_tokens(lex(f, d)),
              "1:1     identifier   x\n"
              "1:3     '='\n"
              "1:5     identifier   relu\n"
              "1:9     '('\n"
              "1:10    identifier   y\n"
              "1:11    ')'\n"
              "1:12    end of file\n");
}

}  // namespace
}  // namespace nnc::dsl
