// What a lint rule sees: the checked graph (shapes, typed attributes, users of each node), where
// each node and each written attribute is in the source (from the block-expanded syntax tree, so
// a value passed into a block points at the use that passed it), and the one way to report.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/lint.h"
#include "dsl/lint/allow_comments.h"
#include "dsl/model.h"
#include "dsl/op_spec.h"

namespace nnc::dsl::lint {

class Context {
public:
    Context(const SourceFile& file, const CheckedModel& model, const ast::Model& expanded, const OpCatalog& ops,
            const LintOptions& options, const AllowComments& allow, Diagnostics& diags);

    const CheckedModel& model() const { return model_; }
    const LintOptions& options() const { return options_; }
    const Node& node(int id) const { return model_.node(id); }
    // Nodes that take `id` as an input, in graph order.
    const std::vector<int>& users(int id) const { return users_.at(static_cast<size_t>(id)); }
    bool gpu_target() const;

    // Where a node's call is written: the op name of its statement (inside the block for a node
    // that came from a block).
    Span node_span(int id) const;
    // Where an attribute's value is written, if it is (positionally or by name); nullopt for a default.
    std::optional<Span> attr_span(int id, const std::string& attr) const;
    // Where the node's i-th tensor input is written.
    std::optional<Span> input_span(int id, size_t i) const;
    // Where a train setting's value is written (`batch = 256`: the 256), if it is.
    std::optional<Span> setting_span(const std::string& key) const;
    // Where an argument of the train section's optimizer call is written (by name or at `position`).
    std::optional<Span> optimizer_arg_span(const std::string& name, size_t position) const;

    // Reports a finding of `rule` at `at` unless an allow comment on that line (or on the line of
    // a block use the node came through) silences it; `node` (or -1) adds the block-use notes.
    // The same rule at the same place is reported once (a block used twice is one finding).
    // Returns the diagnostic, to add help and notes to.
    Diagnostic& warn(const std::string& rule, int node, Span at, std::string message);

    int reported() const { return reported_; }

private:
    const ast::Stmt* stmt(int id) const { return stmts_.at(static_cast<size_t>(id)); }
    const ast::Value* call_arg(const ast::Value& call, const std::string& name, size_t position) const;

    const SourceFile& file_;
    const CheckedModel& model_;
    const OpCatalog& ops_;
    const LintOptions& options_;
    const AllowComments& allow_;
    Diagnostics& diags_;
    Diagnostics discarded_;  // findings that are silenced or repeated land here
    const ast::Stmt* train_ = nullptr;
    std::vector<const ast::Stmt*> stmts_;  // per node id; null if not found
    std::vector<std::vector<int>> users_;
    std::set<std::tuple<std::string, int, int>> seen_;
    int reported_ = 0;
};

}  // namespace nnc::dsl::lint
