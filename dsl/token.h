// Tokens of the .nn language. Every token knows where it came from (line:col and its length in
// bytes), so any later stage can point a caret at it.
#pragma once
#include <cstdint>
#include <string>

#include "dsl/source.h"

namespace nnc::dsl {

enum class TokenKind {
    Ident,   // [A-Za-z_][A-Za-z0-9_]*, not a keyword
    Int,     // 42
    Float,   // 0.5, 3e-4
    String,  // "path/to/file"; text holds the unescaped contents
    // Keywords. `block` and `repeat` are reserved now so that adding them later breaks no model.
    KwModel,
    KwInput,
    KwTarget,
    KwLoss,
    KwTrain,
    KwTrue,
    KwFalse,
    KwBlock,
    KwRepeat,
    // Punctuation.
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Equals,
    Minus,
    Newline,  // statements end at a newline; the parser skips newlines inside (...) and [...]
    Eof,
};

struct Token {
    TokenKind kind = TokenKind::Eof;
    std::string text;  // the spelling as written (for String: the unescaped contents)
    Location loc;
    int length = 0;  // bytes covered on loc.line, for the ~~~ under the caret
    int64_t int_value = 0;
    double float_value = 0.0;
};

// "identifier", "'('", "end of line" — for dumps and "expected X, found Y" messages.
const char* token_kind_name(TokenKind kind);
bool is_keyword(TokenKind kind);
// The token as a user would name it: "identifier 'fc1'", "number 12", "'('", "end of file".
std::string describe(const Token& token);

}  // namespace nnc::dsl
