// Block expansion: check each block's definition once, then replace every use (and every
// `repeat`) by renamed copies of the block's statements. See block_expander.h for the naming.
#include "dsl/block_expander.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "dsl/nearest.h"

namespace nnc::dsl {
namespace {

// Bounds what a short file can ask for (`repeat 1000000` of a block of repeats).
constexpr size_t kMaxStatements = 100000;

struct BlockInfo {
    const ast::Block* block = nullptr;
    enum class State { New, Active, Done } state = State::New;
    bool ok = true;               // false if its definition (or a block it uses) has errors
    std::vector<bool> is_tensor;  // per parameter: used as a tensor input in the body
};

// One block instance being expanded (the model itself is the root instance).
struct Scope {
    std::map<std::string, std::string> locals;  // statement name -> node name
    std::map<std::string, ast::Value> args;     // parameter -> the value it is bound to
    std::vector<ast::UseSite> trail;            // the uses this instance came through
};

class Expander {
public:
    Expander(const SourceFile& file, const OpCatalog& ops, Diagnostics& diags)
        : file_(file), ops_(ops), diags_(diags) {}

    ast::Model run(const ast::File& f, const ast::Model& model) {
        for (const ast::Block& b : f.blocks) {
            if (auto it = blocks_.find(b.name); it != blocks_.end()) {
                diags_.error(file_, b.name_span, "block '" + b.name + "' is already defined")
                    .note(it->second.block->name_span, "first defined here");
                continue;
            }
            if (const OpSpec* op = ops_.find(b.name)) {
                diags_
                    .error(
                        file_, b.name_span,
                        "block '" + b.name + "' has the name of " + (op->kind == OpKind::Loss ? "a loss" : "a layer"))
                    .help("give the block another name");
                continue;
            }
            blocks_[b.name].block = &b;
            block_names_.push_back(b.name);
        }
        for (const ast::Block& b : f.blocks)
            if (auto it = blocks_.find(b.name); it != blocks_.end() && it->second.block == &b) analyze(it->second);

        ast::Model out;
        out.name = model.name;
        out.name_span = model.name_span;
        out.open_brace = model.open_brace;
        out_ = &out;
        const Scope root;
        for (const ast::Stmt& s : model.stmts) emit(s, root, s.name, s.name);
        return out;
    }

private:
    // ---- definitions ---------------------------------------------------------------------
    // The names a block's body sees, and which of them its statements use.
    struct BodyNames {
        std::map<std::string, size_t> params, locals;  // name -> index in params / stmts
        std::vector<bool> param_mentioned, local_used;
        std::vector<std::string> all() const {
            std::vector<std::string> names;
            for (const auto& [n, _] : params) names.push_back(n);
            for (const auto& [n, _] : locals) names.push_back(n);
            return names;
        }
    };

    void analyze(BlockInfo& info) {
        const ast::Block& b = *info.block;
        info.state = BlockInfo::State::Active;
        active_.push_back(b.name);
        info.is_tensor.assign(b.params.size(), false);
        BodyNames names;
        names.param_mentioned.assign(b.params.size(), false);
        names.local_used.assign(b.stmts.size(), false);
        declare_names(info, names);
        for (const ast::Stmt& s : b.stmts) mark_uses(info, s, names);
        check_result(info, names);
        // Unused statements and parameters, reported only when nothing else is wrong with the
        // body (an undefined name or an unknown op would otherwise echo as "never used").
        // Either makes the block unusable, so its uses do not repeat the error once per instance.
        if (info.ok) report_unused(info, names);
        active_.pop_back();
        info.state = BlockInfo::State::Done;
    }

    // Parameters and statements by name; a name declared twice is an error.
    void declare_names(BlockInfo& info, BodyNames& names) {
        const ast::Block& b = *info.block;
        for (size_t i = 0; i < b.params.size(); ++i) {
            const ast::Param& p = b.params[i];
            if (names.params.count(p.name)) {
                error(p.span, "parameter '" + p.name + "' of block '" + b.name + "' is already declared");
                info.ok = false;
                continue;
            }
            names.params[p.name] = i;
        }
        for (size_t i = 0; i < b.stmts.size(); ++i) {
            const ast::Stmt& s = b.stmts[i];
            if (names.params.count(s.name)) {
                error(s.name_span, "'" + s.name + "' is a parameter of block '" + b.name + "'")
                    .note(b.params[names.params.at(s.name)].span, "declared here");
                info.ok = false;
            } else if (auto it = names.locals.find(s.name); it != names.locals.end()) {
                error(s.name_span, "'" + s.name + "' is already defined")
                    .note(b.stmts[it->second].name_span, "'" + s.name + "' first defined here");
                info.ok = false;
            } else {
                names.locals[s.name] = i;
            }
        }
    }

    // One statement's uses: the parameters it mentions, and the tensors it takes as inputs.
    void mark_uses(BlockInfo& info, const ast::Stmt& s, BodyNames& names) {
        const ast::Block& b = *info.block;
        mention_params(s.value, names.params, names.param_mentioned);
        if (s.repeat_count) mention_params(*s.repeat_count, names.params, names.param_mentioned);
        int min_in = 0, max_in = 0;
        const BlockInfo* callee = nullptr;
        if (!callee_arity(s, min_in, max_in, callee)) {
            info.ok = false;
            return;
        }
        const auto use_tensor = [&](const ast::Value& v) {
            const std::string& n = v.text;
            if (auto p = names.params.find(n); p != names.params.end())
                info.is_tensor[p->second] = true;
            else if (auto l = names.locals.find(n); l != names.locals.end())
                names.local_used[l->second] = true;
            else {
                Diagnostic& d = error(v.span, "undefined name '" + n + "' in block '" + b.name + "'");
                if (auto m = nearest_match(n, names.all()))
                    d.help("did you mean '" + *m + "'?");
                else
                    d.help("a block sees only its parameters and its own statements; pass '" + n +
                           "' in as a parameter");
                info.ok = false;
            }
        };
        if (callee) {
            // A block's tensor inputs are its tensor parameters, by position or by name.
            const std::vector<ast::Param>& ps = callee->block->params;
            size_t position = 0;
            for (const ast::Arg& a : s.value.args) {
                size_t i = a.positional() ? position++ : 0;
                if (!a.positional())
                    while (i < ps.size() && ps[i].name != a.key) ++i;
                if (i < ps.size() && callee->is_tensor[i] && a.value.is_ident()) use_tensor(a.value);
            }
            return;
        }
        // An op's tensor inputs are its leading positional identifiers, as in the model (GRAMMAR.md).
        int count = 0;
        for (const ast::Arg& a : s.value.args) {
            if (!a.positional() || !a.value.is_ident() || count >= max_in) break;
            const bool known = names.params.count(a.value.text) || names.locals.count(a.value.text);
            if (!known && count >= min_in) break;
            ++count;
            use_tensor(a.value);
        }
    }

    // The block returns one of its own statements.
    void check_result(BlockInfo& info, BodyNames& names) {
        const ast::Block& b = *info.block;
        if (b.result.empty()) {
            error(b.name_span, "block '" + b.name + "' has no return")
                .help("end it with `return NAME`, the statement whose output the block gives");
            info.ok = false;
        } else if (names.params.count(b.result)) {
            error(b.result_span, "block '" + b.name + "' returns its parameter '" + b.result + "' unchanged")
                .help("a block returns one of its own statements");
            info.ok = false;
        } else if (auto it = names.locals.find(b.result); it == names.locals.end()) {
            Diagnostic& d = error(b.result_span, "undefined name '" + b.result + "' in block '" + b.name + "'");
            if (auto m = nearest_match(b.result, names.all())) d.help("did you mean '" + *m + "'?");
            info.ok = false;
        } else {
            names.local_used[it->second] = true;
        }
    }

    void report_unused(BlockInfo& info, const BodyNames& names) {
        const ast::Block& b = *info.block;
        for (size_t i = 0; i < b.stmts.size(); ++i)
            if (!names.local_used[i] && names.locals.count(b.stmts[i].name) && names.locals.at(b.stmts[i].name) == i)
                info.ok = false,
                error(b.stmts[i].name_span, "layer '" + b.stmts[i].name + "' in block '" + b.name + "' is never used")
                    .help("every statement of a block must lead to its return; use its output or remove it");
        for (size_t i = 0; i < b.params.size(); ++i)
            if (!names.param_mentioned[i] && names.params.at(b.params[i].name) == i)
                info.ok = false,
                error(b.params[i].span, "parameter '" + b.params[i].name + "' of block '" + b.name + "' is never used")
                    .help("use it in the block's statements or remove it");
        for (size_t i = 0; i < b.params.size(); ++i)
            if (info.is_tensor[i] && b.params[i].default_value)
                info.ok = false,
                error(b.params[i].default_value->span,
                      "parameter '" + b.params[i].name + "' is a tensor input and cannot have a default");
    }

    // Marks the parameters named anywhere in a value (inputs, attribute values, lists, init calls).
    static void mention_params(const ast::Value& v, const std::map<std::string, size_t>& params,
                               std::vector<bool>& mentioned) {
        if (v.is_ident())
            if (auto it = params.find(v.text); it != params.end()) mentioned[it->second] = true;
        for (const ast::Value& item : v.items) mention_params(item, params, mentioned);
        for (const ast::Arg& a : v.args) mention_params(a.value, params, mentioned);
    }

    // The tensor-input counts of a statement's callee, an op or a block (analyzed first, which is
    // where recursion shows). Reports and returns false if the callee cannot be used here.
    bool callee_arity(const ast::Stmt& s, int& min_in, int& max_in, const BlockInfo*& block) {
        const ast::Value& call = s.value;
        if (auto it = blocks_.find(call.text); it != blocks_.end()) {
            BlockInfo& callee = it->second;
            if (callee.state == BlockInfo::State::Active) {
                std::string path;
                for (auto at = std::find(active_.begin(), active_.end(), call.text); at != active_.end(); ++at)
                    path += *at + " -> ";
                error(call.callee_span, "block '" + call.text + "' uses itself: " + path + call.text)
                    .help("blocks cannot be recursive; use `repeat N` to chain a block");
                for (auto at = std::find(active_.begin(), active_.end(), call.text); at != active_.end(); ++at)
                    blocks_.at(*at).ok = false;
                return false;
            }
            if (callee.state == BlockInfo::State::New) analyze(callee);
            block = &callee;
            return callee.ok;
        }
        if (s.repeat_count) {
            report_repeat_of_non_block(call);
            return false;
        }
        const OpSpec* op = ops_.find(call.text);
        if (!op) {
            report_unknown(call);
            return false;
        }
        if (op->kind == OpKind::Loss) {
            error(call.callee_span, "'" + call.text + "' is a loss; a block holds layers only")
                .help("apply the loss in the model, to the block's result");
            return false;
        }
        min_in = op->min_inputs;
        max_in = op->max_inputs < 0 ? 1 << 30 : op->max_inputs;
        return true;
    }

    void report_unknown(const ast::Value& call) {
        std::vector<std::string> layers, candidates;
        for (const std::string& n : ops_.names())
            if (const OpSpec* s = ops_.find(n); s && s->kind == OpKind::Layer) layers.push_back(n);
        candidates = layers;
        candidates.insert(candidates.end(), block_names_.begin(), block_names_.end());
        Diagnostic& d = error(call.callee_span, "unknown layer or block '" + call.text + "'");
        if (auto m = nearest_match(call.text, candidates)) d.help("did you mean '" + *m + "'?");
        d.note("known layers: " + join(layers));
        d.note("blocks in this file: " + join(block_names_));
    }

    void report_repeat_of_non_block(const ast::Value& call) {
        Diagnostic& d = error(call.callee_span, "'repeat' chains a block, and '" + call.text + "' is not one");
        if (auto m = nearest_match(call.text, block_names_))
            d.help("did you mean '" + *m + "'?");
        else
            d.help("define `block NAME(x, ...) { ... return y }` and repeat that");
    }

    // ---- uses ----------------------------------------------------------------------------
    // A statement of `scope` whose node is called `name`: copied with its names and parameters
    // replaced, or, if it uses a block, expanded, the instance's inner nodes named `path.<name>`
    // (path is the statement's own name in the scope, even where `name` is the scope's result).
    void emit(const ast::Stmt& s, const Scope& scope, const std::string& name, const std::string& path) {
        const bool uses_block = s.kind == ast::Stmt::Kind::Layer && (s.repeat_count || blocks_.count(s.value.text));
        if (!uses_block) {
            if (!budget()) return;
            ast::Stmt copy = s;
            copy.name = name;
            if (s.kind == ast::Stmt::Kind::Layer || s.kind == ast::Stmt::Kind::Loss)
                copy.value = substitute(s.value, scope);
            copy.trail = scope.trail;
            out_->stmts.push_back(std::move(copy));
            return;
        }
        ast::Stmt use = s;
        use.name = name;
        use.value = substitute(s.value, scope);
        use.trail = scope.trail;
        use.repeat_count.reset();
        const auto failed = [&] {
            use.failed_use = true;
            out_->stmts.push_back(use);
        };
        const auto it = blocks_.find(use.value.text);
        if (it == blocks_.end()) {  // only `repeat` of a non-block gets here
            if (scope.trail.empty()) report_repeat_of_non_block(use.value);
            return failed();
        }
        const BlockInfo& info = it->second;
        int64_t count = 1;
        if (s.repeat_count) {
            const ast::Value n = substitute(*s.repeat_count, scope);
            if (n.kind != ast::Value::Kind::Int || n.int_value < 1) {
                error(n.span, "repeat count must be an integer of at least 1, got " + spelled(n));
                return failed();
            }
            count = n.int_value;
        }
        if (!info.ok) return failed();  // its definition's errors are reported there
        std::map<std::string, ast::Value> args;
        if (!bind(use.value, info, args)) return failed();

        ast::UseSite site{info.block->name, use.value.callee_span, s.name_span};
        if (!s.repeat_count) return instantiate(info, std::move(args), path, name, scope.trail, site);
        size_t chained = info.block->params.size();
        for (size_t i = 0; i < info.is_tensor.size() && chained == info.block->params.size(); ++i)
            if (info.is_tensor[i]) chained = i;
        if (chained == info.block->params.size()) {
            error(use.value.callee_span, "block '" + info.block->name + "' has no tensor input to chain with 'repeat'");
            return failed();
        }
        for (int64_t k = 1; k <= count; ++k) {
            const std::string prefix = path + "." + std::to_string(k);
            const std::string result = k == count ? name : prefix;
            site.repeat_index = static_cast<int>(k);
            site.repeat_count = static_cast<int>(count);
            instantiate(info, args, prefix, result, scope.trail, site);
            ast::Value next;
            next.kind = ast::Value::Kind::Ident;
            next.text = result;
            next.span = use.value.callee_span;
            args[info.block->params[chained].name] = next;
            if (overflowed_) return;
        }
    }

    void instantiate(const BlockInfo& info, std::map<std::string, ast::Value> args, const std::string& prefix,
                     const std::string& result, const std::vector<ast::UseSite>& trail, const ast::UseSite& site) {
        const ast::Block& b = *info.block;
        Scope inner;
        inner.args = std::move(args);
        inner.trail = trail;
        inner.trail.push_back(site);
        for (const ast::Stmt& s : b.stmts) inner.locals[s.name] = s.name == b.result ? result : prefix + "." + s.name;
        for (const ast::Stmt& s : b.stmts) emit(s, inner, inner.locals.at(s.name), prefix + "." + s.name);
    }

    // Arguments to parameters: positional in order, then by name; defaults for the rest.
    bool bind(const ast::Value& call, const BlockInfo& info, std::map<std::string, ast::Value>& args) {
        const ast::Block& b = *info.block;
        bool ok = true;
        std::string signature;
        for (const ast::Param& p : b.params)
            signature += (signature.empty() ? "" : ", ") + p.name + (p.default_value ? "=…" : "");
        size_t positional = 0;
        bool unknown_key = false;
        for (const ast::Arg& a : call.args) {
            if (a.positional()) {
                if (positional < b.params.size()) args[b.params[positional].name] = a.value;
                ++positional;
                continue;
            }
            size_t i = 0;
            while (i < b.params.size() && b.params[i].name != a.key) ++i;
            if (i == b.params.size()) {
                std::vector<std::string> names;
                for (const ast::Param& p : b.params) names.push_back(p.name);
                Diagnostic& d = error(a.key_span, "block '" + b.name + "' has no parameter '" + a.key + "'");
                if (auto m = nearest_match(a.key, names)) d.help("did you mean '" + *m + "'?");
                d.note(b.name_span, "block '" + b.name + "' defined here");
                ok = false;
                unknown_key = true;
                continue;
            }
            if (args.count(a.key)) {
                error(a.key_span, "parameter '" + a.key + "' of block '" + b.name + "' is given twice");
                ok = false;
                continue;
            }
            args[a.key] = a.value;
        }
        if (positional > b.params.size()) {
            error(call.span, "block '" + b.name + "' takes " + std::to_string(b.params.size()) + " argument" +
                                 (b.params.size() == 1 ? "" : "s") + " (" + signature + "), got " +
                                 std::to_string(positional) + " positional")
                .note(b.name_span, "block '" + b.name + "' defined here");
            ok = false;
        }
        for (size_t i = 0; i < b.params.size(); ++i) {
            const ast::Param& p = b.params[i];
            auto it = args.find(p.name);
            if (it == args.end()) {
                if (p.default_value) {
                    args[p.name] = *p.default_value;
                    continue;
                }
                if (unknown_key) {  // most likely the misspelled one; said above
                    ok = false;
                    continue;
                }
                error(call.span, "block '" + b.name + "' needs argument '" + p.name + "' (" + signature + ")")
                    .note(b.name_span, "block '" + b.name + "' defined here");
                ok = false;
                continue;
            }
            if (info.is_tensor[i] && !it->second.is_ident()) {
                error(it->second.span, "argument '" + p.name + "' of block '" + b.name +
                                           "' is a tensor input; pass the name of a layer or an input, got " +
                                           spelled(it->second));
                ok = false;
            }
        }
        return ok;
    }

    // Names of the scope's statements become node names; parameters become their arguments.
    static ast::Value substitute(const ast::Value& v, const Scope& scope) {
        if (v.is_ident()) {
            if (auto it = scope.locals.find(v.text); it != scope.locals.end()) {
                ast::Value renamed = v;
                renamed.text = it->second;
                return renamed;
            }
            if (auto it = scope.args.find(v.text); it != scope.args.end()) return it->second;
            return v;
        }
        ast::Value out = v;
        for (ast::Value& item : out.items) item = substitute(item, scope);
        for (ast::Arg& a : out.args) a.value = substitute(a.value, scope);
        return out;
    }

    static std::string spelled(const ast::Value& v) {
        switch (v.kind) {
            case ast::Value::Kind::Int: return std::to_string(v.int_value);
            case ast::Value::Kind::Float: {
                std::ostringstream s;
                s << v.float_value;
                return s.str();
            }
            case ast::Value::Kind::Ident: return "'" + v.text + "'";
            default: return std::string("a ") + ast::value_kind_name(v.kind);
        }
    }

    bool budget() {
        if (emitted_ < kMaxStatements) {
            ++emitted_;
            return true;
        }
        if (!overflowed_)
            diags_
                .error(
                    file_, out_->name_span,
                    "model '" + out_->name + "' expands to more than " + std::to_string(kMaxStatements) + " statements")
                .help("lower the repeat counts");
        overflowed_ = true;
        return false;
    }

    Diagnostic& error(Span at, std::string message) { return diags_.error(file_, at, std::move(message)); }

    const SourceFile& file_;
    const OpCatalog& ops_;
    Diagnostics& diags_;
    std::map<std::string, BlockInfo> blocks_;
    std::vector<std::string> block_names_;  // in file order
    std::vector<std::string> active_;       // blocks being analyzed, outermost first
    ast::Model* out_ = nullptr;
    size_t emitted_ = 0;
    bool overflowed_ = false;
};

}  // namespace

ast::Model expand_blocks(const ast::File& file, const ast::Model& model, const SourceFile& source, const OpCatalog& ops,
                         Diagnostics& diags) {
    return Expander(source, ops, diags).run(file, model);
}

}  // namespace nnc::dsl
