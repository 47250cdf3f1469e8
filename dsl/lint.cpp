// lint_model: rebuild the block-expanded syntax tree (for the source location of every written
// value), run every rule, then point out allow comments that name no rule.
#include "dsl/lint.h"

#include "dsl/block_expander.h"
#include "dsl/lexer.h"
#include "dsl/lint/allow_comments.h"
#include "dsl/lint/context.h"
#include "dsl/lint/rules.h"
#include "dsl/nearest.h"
#include "dsl/parser.h"

namespace nnc::dsl {

std::vector<LintRuleInfo> lint_rules() {
    std::vector<LintRuleInfo> out;
    for (const lint::Rule& r : lint::rules()) out.push_back({r.name, r.summary});
    return out;
}

int lint_model(const SourceFile& file, const CheckedModel& model, const OpCatalog& ops, const LintOptions& options,
               Diagnostics& diags) {
    // The model compiled, so this reports nothing; its diagnostics are dropped all the same.
    Diagnostics scratch;
    const ast::File tree = parse(lex(file, scratch), file, scratch);
    if (tree.models.empty()) return 0;
    const ast::Model expanded = expand_blocks(tree, tree.models[0], file, ops, scratch);

    const lint::AllowComments allow(file);
    lint::Context ctx(file, model, expanded, ops, options, allow, diags);
    for (const lint::Rule& r : lint::rules()) r.run(ctx, r.name);

    std::vector<std::string> names;
    for (const lint::Rule& r : lint::rules()) names.push_back(r.name);
    int unknown = 0;
    for (const lint::AllowComments::Entry& e : allow.entries()) {
        bool known = false;
        for (const std::string& n : names) known = known || n == e.rule;
        if (known) continue;
        Diagnostic& d = options.werror
                            ? diags.error(file, e.span, "allow comment names no lint rule '" + e.rule + "'")
                            : diags.warning(file, e.span, "allow comment names no lint rule '" + e.rule + "'");
        if (auto near = nearest_match(e.rule, names))
            d.help("did you mean '" + *near + "'?");
        else
            d.note("lint rules: " + join(names));
        ++unknown;
    }
    return ctx.reported() + unknown;
}

}  // namespace nnc::dsl
