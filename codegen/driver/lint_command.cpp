// nnc lint: the field guide's practices checked on a model (dsl/lint.h), each finding a warning
// with its rule's name; --werror makes them errors and the exit status 1. nnc check runs the same
// rules and prints their warnings before its summary.
#include <cstdio>

#include "codegen/driver/commands.h"
#include "codegen/layers/layer_registry.h"
#include "dsl/lint.h"

namespace nnc::driver {

int print_lint_findings(const std::string& path, const std::string& source_text, const dsl::CheckedModel& model,
                        const dsl::LintOptions& options) {
    const dsl::SourceFile file(path, source_text);
    dsl::Diagnostics diags;
    const int found = dsl::lint_model(file, model, codegen::layer_catalog(), options, diags);
    if (found) std::fputs(diags.render().c_str(), stderr);
    return found;
}

int run_lint(const LintCommandOptions& o) {
    if (o.list_rules) {
        for (const dsl::LintRuleInfo& r : dsl::lint_rules())
            std::printf("%-20s %s\n", r.name.c_str(), r.summary.c_str());
        return 0;
    }
    if (o.input.empty()) {
        std::fputs("nnc lint: error: no model; use 'nnc lint model.nn' (or --rules for the list of rules)\n", stderr);
        return 2;
    }
    std::string text;
    auto model = load_checked_model(o.input, &text);
    if (!model) return 1;
    dsl::LintOptions options;
    options.target = o.target;
    options.werror = o.werror;
    const int found = print_lint_findings(o.input, text, *model, options);
    if (found == 0) {
        std::printf("%s: no lint warnings (%zu rules)\n", o.input.c_str(), dsl::lint_rules().size());
        return 0;
    }
    std::fprintf(stderr, "%s: %d lint %s%s\n", o.input.c_str(), found, o.werror ? "error" : "warning",
                 found == 1 ? "" : "s");
    return o.werror ? 1 : 0;
}

}  // namespace nnc::driver
