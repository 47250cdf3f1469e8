// Parser: tokens -> AST, by recursive descent; each parse function carries its grammar rule.
// On a syntax error it reports, skips to the end of the statement (newline or '}'), and goes on,
// so every statement's syntax is checked in one run.
#pragma once
#include <string>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/source.h"
#include "dsl/token.h"

namespace nnc::dsl {

ast::File parse(const std::vector<Token>& tokens, const SourceFile& file, Diagnostics& diags);

// An indented tree, one node per line with its line:col, for --dump-ast.
std::string dump_ast(const ast::File& file);

}  // namespace nnc::dsl
