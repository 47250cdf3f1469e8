// Binding call arguments to an attribute schema: positional arguments in schema order, then
// key=value by name; each value converted to its typed AttrValue; defaults filled in. Used for op
// attributes, for optimizers (adam(lr=...)) and for parameterized values (gaussian(std=0.01)), so
// every call in the language reports the same errors in the same words.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/op_spec.h"

namespace nnc::dsl {

struct BoundAttrs {
    Attrs attrs;                           // typed, defaults filled in
    std::map<std::string, Span> given_at;  // where each attribute the user wrote is, for range errors
    bool ok = true;                        // false if any error was reported
};

// `owner` names the callee in messages ("dense", "adam"). `args` are the attribute arguments only
// (tensor inputs already taken off); `call` is the callee's span, for "missing attribute" errors.
BoundAttrs bind_attrs(const std::string& owner, const std::vector<AttrSchema>& schema,
                      const std::vector<const ast::Arg*>& args, Span call, const SourceFile& file, Diagnostics& diags);

// The initializers the language knows: he_normal, ..., gaussian(std), uniform(a).
std::vector<std::string> initializer_names();

}  // namespace nnc::dsl
