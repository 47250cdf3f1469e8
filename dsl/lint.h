// Lint: the field guide's practices checked on a model that already compiles (`nnc lint`, and
// `nnc check` as warnings). Each rule is one function in dsl/lint/, listed in dsl/lint/registry.cpp;
// each warning names its rule ("... [kernel-size]") and is silenced by a comment on its line or on
// the comment lines just above it:  `# nnc: allow(kernel-size) -- the 7x7 stem is deliberate`.
#pragma once
#include <string>
#include <vector>

#include "dsl/diagnostics.h"
#include "dsl/model.h"
#include "dsl/op_spec.h"
#include "dsl/source.h"

namespace nnc::dsl {

struct LintOptions {
    std::string target = "host";  // the Halide target it will be compiled for (GPU targets get GPU advice)
    bool werror = false;          // report each finding as an error instead of a warning
};

struct LintRuleInfo {
    std::string name;     // what allow(...) and the [rule] suffix name
    std::string summary;  // one line
};

// Every rule, in the order they run.
std::vector<LintRuleInfo> lint_rules();

// Runs every rule on `model` (the result of compile_model on `file`), reporting each finding that
// no allow comment silences into `diags`. Returns how many it reported.
int lint_model(const SourceFile& file, const CheckedModel& model, const OpCatalog& ops, const LintOptions& options,
               Diagnostics& diags);

}  // namespace nnc::dsl
