// Block expansion, the first step of checking: the model's statements with every block use and
// every `repeat` replaced by the block's own statements, renamed and with the arguments put in.
// What comes out holds input, target, layer, loss and train statements only, which the checker
// takes as if the user had written them; each expanded statement keeps its span inside the block
// and records the uses it came through (ast::Stmt::trail), so errors can name the use site too.
//
// Names: `r1 = residual(h, 32)` gives the block's result statement the name `r1` and each other
// statement `r1.<name>` (`r1.fc`); a block used inside a block nests (`r1.a.fc`).
// `h = repeat 3 unit(x)` chains three instances `h.1`, `h.2` and `h` (inner names `h.1.fc`,
// `h.2.fc`, `h.3.fc`); each instance's first tensor parameter is the previous instance's result.
//
// The definition of every block is checked once, whether or not it is used: unknown ops or blocks,
// undefined names, duplicate names, a missing return, recursion, unused statements and parameters.
// A use of a block with such errors, or a use whose arguments do not bind, becomes a statement
// marked `failed_use`, which the checker accepts silently so that its errors do not echo.
#pragma once
#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/op_spec.h"

namespace nnc::dsl {

ast::Model expand_blocks(const ast::File& file, const ast::Model& model, const SourceFile& source, const OpCatalog& ops,
                         Diagnostics& diags);

}  // namespace nnc::dsl
