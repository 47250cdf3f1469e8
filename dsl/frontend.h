// The front end's one entry point: .nn source -> CheckedModel (lex, parse, check), plus the
// dumps behind --dump-tokens and --dump-ast.
#pragma once
#include <optional>
#include <string>

#include "dsl/diagnostics.h"
#include "dsl/model.h"
#include "dsl/op_spec.h"
#include "dsl/source.h"

namespace nnc::dsl {

// Reports every error it can find into `diags`; nullopt if there was any. After a syntax error
// the file is not checked further (a half-parsed graph would only produce echoes of it).
std::optional<CheckedModel> compile_model(const SourceFile& file, const OpCatalog& ops, Diagnostics& diags);

// Reads a file into a SourceFile; nullopt (and an error in `diags`) if it cannot be read.
std::optional<SourceFile> read_source(const std::string& path, Diagnostics& diags);

std::string dump_tokens(const SourceFile& file, Diagnostics& diags);
std::string dump_ast(const SourceFile& file, Diagnostics& diags);

}  // namespace nnc::dsl
