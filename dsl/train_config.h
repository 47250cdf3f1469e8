// The train { ... } section -> TrainConfig: optimizer, batch, epochs, seed, validation.
#pragma once
#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/model.h"

namespace nnc::dsl {

// Reports every bad setting; unset keys keep TrainConfig's defaults.
TrainConfig check_train(const ast::Stmt& train, const SourceFile& file, Diagnostics& diags);

}  // namespace nnc::dsl
