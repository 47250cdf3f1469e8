// Context: source locations of nodes and attributes, and reporting with silencing and de-duplication.
#include "dsl/lint/context.h"

#include <map>

namespace nnc::dsl::lint {

Context::Context(const SourceFile& file, const CheckedModel& model, const ast::Model& expanded, const OpCatalog& ops,
                 const LintOptions& options, const AllowComments& allow, Diagnostics& diags)
    : file_(file), model_(model), ops_(ops), options_(options), allow_(allow), diags_(diags) {
    std::map<std::string, const ast::Stmt*> by_name;
    for (const ast::Stmt& s : expanded.stmts) {
        if (s.kind == ast::Stmt::Kind::Train)
            train_ = &s;
        else if (s.kind == ast::Stmt::Kind::Loss && s.name.empty())
            by_name.emplace("loss", &s);
        else
            by_name.emplace(s.name, &s);
    }
    stmts_.resize(model.nodes.size(), nullptr);
    users_.resize(model.nodes.size());
    for (const Node& n : model.nodes) {
        if (auto it = by_name.find(n.name); it != by_name.end()) stmts_[static_cast<size_t>(n.id)] = it->second;
        for (int in : n.inputs) users_[static_cast<size_t>(in)].push_back(n.id);
    }
}

bool Context::gpu_target() const {
    for (const char* api : {"cuda", "opencl", "metal", "vulkan", "d3d12"})
        if (options_.target.find(api) != std::string::npos) return true;
    return false;
}

Span Context::node_span(int id) const {
    const ast::Stmt* s = stmt(id);
    if (s && (s->kind == ast::Stmt::Kind::Layer || s->kind == ast::Stmt::Kind::Loss) &&
        s->value.kind == ast::Value::Kind::Call)
        return s->value.callee_span;
    if (s) return s->name_span;
    return {node(id).loc, 1};
}

const ast::Value* Context::call_arg(const ast::Value& call, const std::string& name, size_t position) const {
    size_t positional = 0;
    for (const ast::Arg& a : call.args) {
        if (a.positional()) {
            if (positional++ == position) return &a.value;
        } else if (a.key == name) {
            return &a.value;
        }
    }
    return nullptr;
}

std::optional<Span> Context::attr_span(int id, const std::string& attr) const {
    const ast::Stmt* s = stmt(id);
    const OpSpec* spec = ops_.find(node(id).op);
    if (!s || !spec || s->value.kind != ast::Value::Kind::Call) return std::nullopt;
    // Positional attributes follow the tensor inputs, in schema order.
    size_t index = 0;
    while (index < spec->attrs.size() && spec->attrs[index].name != attr) ++index;
    if (index == spec->attrs.size()) return std::nullopt;
    const ast::Value* v = call_arg(s->value, attr, node(id).inputs.size() + index);
    if (!v) return std::nullopt;
    return v->span;
}

std::optional<Span> Context::input_span(int id, size_t i) const {
    const ast::Stmt* s = stmt(id);
    if (!s || s->value.kind != ast::Value::Kind::Call) return std::nullopt;
    const ast::Value* v = call_arg(s->value, "", i);
    if (!v) return std::nullopt;
    return v->span;
}

std::optional<Span> Context::setting_span(const std::string& key) const {
    if (!train_) return std::nullopt;
    for (const ast::Setting& st : train_->settings)
        if (st.key == key) return st.value.span;
    return std::nullopt;
}

std::optional<Span> Context::optimizer_arg_span(const std::string& name, size_t position) const {
    if (!train_) return std::nullopt;
    for (const ast::Setting& st : train_->settings) {
        if (st.key != "optimizer" || st.value.kind != ast::Value::Kind::Call) continue;
        if (const ast::Value* v = call_arg(st.value, name, position)) return v->span;
    }
    return std::nullopt;
}

Diagnostic& Context::warn(const std::string& rule, int node_id, Span at, std::string message) {
    const ast::Stmt* s = node_id >= 0 ? stmt(node_id) : nullptr;
    bool silenced = allow_.allows(rule, at.loc.line);
    // A finding inside a block may also be silenced at any use of the block it came through.
    if (s)
        for (const ast::UseSite& use : s->trail)
            silenced =
                silenced || allow_.allows(rule, use.span.loc.line) || allow_.allows(rule, use.name_span.loc.line);
    // Only reported findings count as seen: a block use that is allowed does not hide another use.
    const std::tuple<std::string, int, int> key{rule, at.loc.line, at.loc.col};
    const bool repeated = seen_.count(key) != 0;
    if (!silenced && !repeated) seen_.insert(key);
    Diagnostics& sink = silenced || repeated ? discarded_ : diags_;
    if (s) {
        std::vector<DiagnosticNote> notes;
        for (auto it = s->trail.rbegin(); it != s->trail.rend(); ++it) {
            std::string text = "in block '" + it->block + "'";
            if (it->repeat_count > 0)
                text +=
                    " (repeat " + std::to_string(it->repeat_index) + " of " + std::to_string(it->repeat_count) + ")";
            notes.push_back({Severity::Note, true, it->span, text + " used here"});
        }
        sink.set_context(std::move(notes));
    }
    message += " [" + rule + "]";
    Diagnostic& d =
        options_.werror ? sink.error(file_, at, std::move(message)) : sink.warning(file_, at, std::move(message));
    sink.set_context({});
    if (&sink == &diags_) ++reported_;
    return d;
}

}  // namespace nnc::dsl::lint
