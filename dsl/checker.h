// Checker: AST -> CheckedModel. Resolves names into a DAG (statements may appear in any order),
// binds and types every op's attributes, runs every op's shape rule in topological order and
// checks the train section. It checks every statement even after an earlier error, reporting
// all it finds; it returns nullopt if it reported any error.
#pragma once
#include <optional>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/model.h"
#include "dsl/op_spec.h"

namespace nnc::dsl {

std::optional<CheckedModel> check(const ast::File& file, const SourceFile& source, const OpCatalog& ops,
                                  Diagnostics& diags);

}  // namespace nnc::dsl
