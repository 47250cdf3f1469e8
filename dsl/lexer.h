// Lexer: source text -> tokens. Lexical errors are reported and skipped, so the parser still
// sees a usable stream and later errors in the file are found in the same run.
#pragma once
#include <string>
#include <vector>

#include "dsl/diagnostics.h"
#include "dsl/source.h"
#include "dsl/token.h"

namespace nnc::dsl {

// The token stream always ends with one Eof token.
std::vector<Token> lex(const SourceFile& file, Diagnostics& diags);

// One token per line, "line:col  kind  text", for --dump-tokens.
std::string dump_tokens(const std::vector<Token>& tokens);

}  // namespace nnc::dsl
