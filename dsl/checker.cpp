// The checker, in passes over the model's definitions:
//   expand    block uses and `repeat` become ordinary statements (dsl/block_expander.h)
//   collect   one Def per statement, duplicate names
//   bind      split each call into tensor inputs and attributes; type the attributes
//   resolve   names -> definitions (forward references allowed), usage rules for targets/losses
//   order     depth-first topological order; cycles reported with their path
//   shapes    each op's shape rule, in order, skipping nodes whose inputs already failed
//   usage     unused names, missing/extra loss, missing input
// Every pass visits every statement, so independent errors are all reported in one run.
#include "dsl/checker.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "dsl/attr_binder.h"
#include "dsl/block_expander.h"
#include "dsl/nearest.h"
#include "dsl/resource_limits.h"
#include "dsl/train_config.h"

namespace nnc::dsl {
namespace {

struct Ref {
    std::string name;
    Span span;
    int def = -1;  // resolved definition, -1 if undefined
};

struct Def {
    const ast::Stmt* stmt = nullptr;
    NodeKind kind = NodeKind::Layer;
    std::string name;
    Span name_span;
    const OpSpec* op = nullptr;
    std::vector<Ref> inputs;
    std::vector<std::string> mentioned;  // names inside a rejected nested call: used, not inputs
    Attrs attrs;
    bool ok = true;          // false once an error makes its shape uncomputable
    bool duplicate = false;  // a second definition of a name; reported once, then left alone
    bool in_cycle = false;
    bool quiet = false;  // an op-kind mix-up already reported; "never used" would echo it
    TargetKind target_kind = TargetKind::Real;
    int64_t num_classes = 0;
    double loss_weight = 1.0;
    DType dtype = DType::Float32;
    bool init_written = false;  // the call gives `init` (by name or position)
    std::optional<Shape> shape;
    std::vector<int> users;
};

const char* kind_word(NodeKind k) {
    switch (k) {
        case NodeKind::Input: return "input";
        case NodeKind::Target: return "target";
        case NodeKind::Layer: return "layer";
        case NodeKind::Loss: return "loss";
    }
    return "node";
}

class Checker {
public:
    Checker(const SourceFile& file, const OpCatalog& ops, Diagnostics& diags) : file_(file), ops_(ops), diags_(diags) {}

    std::optional<CheckedModel> run(const ast::File& f) {
        const int errors_before = diags_.error_count();
        if (f.models.empty()) {
            diags_.error(file_, {{1, 1}, 1}, "no model in this file")
                .help("a file holds one model: model NAME { ... }");
            return std::nullopt;
        }
        for (size_t i = 1; i < f.models.size(); ++i)
            diags_.error(file_, f.models[i].name_span, "only one model per file is supported")
                .note(f.models[0].name_span, "first model defined here");
        for (const ast::Block& b : f.blocks) block_names_.push_back(b.name);
        expanded_ = expand_blocks(f, f.models[0], file_, ops_, diags_);
        const ast::Model& m = expanded_;
        collect(m);
        for (size_t d = 0; d < defs_.size(); ++d) in_context(static_cast<int>(d), [&](int id) { bind(id); });
        for (size_t d = 0; d < defs_.size(); ++d) in_context(static_cast<int>(d), [&](int id) { resolve(id); });
        default_initializers();
        const std::vector<int> order = topological_order();
        for (int d : order) in_context(d, [&](int id) { infer_shape(id); });
        check_usage(m);
        if (diags_.error_count() > errors_before) return std::nullopt;
        CheckedModel model = build(m, order);
        check_memory(model, ops_, file_, m.name_span, diags_);
        if (diags_.error_count() > errors_before) return std::nullopt;
        return model;
    }

private:
    // Runs one pass over one definition; errors it reports name the block uses the statement was
    // expanded through, innermost first ("note: in block 'residual' used here").
    template <class F>
    void in_context(int id, F&& pass) {
        with_trail(defs_[static_cast<size_t>(id)].stmt, [&] { pass(id); });
    }

    template <class F>
    void with_trail(const ast::Stmt* s, F&& report) {
        std::vector<DiagnosticNote> notes;
        for (auto it = s->trail.rbegin(); it != s->trail.rend(); ++it) {
            std::string text = "in block '" + it->block + "'";
            if (it->repeat_count > 0)
                text +=
                    " (repeat " + std::to_string(it->repeat_index) + " of " + std::to_string(it->repeat_count) + ")";
            notes.push_back({Severity::Note, true, it->span, text + " used here"});
        }
        diags_.set_context(std::move(notes));
        report();
        diags_.set_context({});
    }

    // ---- collect -------------------------------------------------------------------------
    void collect(const ast::Model& m) {
        const ast::Stmt* train = nullptr;
        for (const ast::Stmt& s : m.stmts) {
            if (s.kind == ast::Stmt::Kind::Train) {
                if (train) {
                    diags_.error(file_, s.keyword_span, "duplicate train section")
                        .note(train->keyword_span, "first train section here");
                    continue;
                }
                train = &s;
                train_ = check_train(s, file_, diags_);
                continue;
            }
            Def d;
            d.stmt = &s;
            d.name = s.name;
            d.name_span = s.name_span;
            switch (s.kind) {
                case ast::Stmt::Kind::Input: d.kind = NodeKind::Input; break;
                case ast::Stmt::Kind::Target: d.kind = NodeKind::Target; break;
                case ast::Stmt::Kind::Layer: d.kind = NodeKind::Layer; break;
                default: d.kind = NodeKind::Loss; break;
            }
            // An unnamed loss is called "loss"; it cannot be referenced, so it takes no name slot.
            if (d.kind == NodeKind::Loss && d.name.empty()) {
                d.name = "loss";
                d.name_span = s.keyword_span;
                defs_.push_back(std::move(d));
                continue;
            }
            if (auto it = names_.find(d.name); it != names_.end()) {
                const Def& first = defs_[static_cast<size_t>(it->second)];
                diags_.error(file_, written_at(d), "'" + d.name + "' is already defined")
                    .note(written_at(first), "'" + d.name + "' first defined here as " +
                                                 (first.kind == NodeKind::Input ? "an " : "a ") +
                                                 kind_word(first.kind));
                d.duplicate = true;
                d.ok = false;
            } else {
                names_[d.name] = static_cast<int>(defs_.size());
            }
            defs_.push_back(std::move(d));
        }
    }

    // Where the user wrote a model-level name: the statement itself, or for the result of a block
    // use (`r1 = residual(...)`, node `r1`, defined by a statement inside the block) the use.
    static Span written_at(const Def& d) {
        const std::vector<ast::UseSite>& trail = d.stmt->trail;
        if (!trail.empty() && d.name.find('.') == std::string::npos) return trail.front().name_span;
        return d.name_span;
    }

    // ---- bind ----------------------------------------------------------------------------
    void bind(int id) {
        Def& d = defs_[static_cast<size_t>(id)];
        const ast::Value& v = d.stmt->value;
        switch (d.kind) {
            case NodeKind::Input:
                d.shape = shape_literal(v, "input '" + d.name + "'", "[784]");
                if (d.stmt->dtype == "int32") {
                    d.dtype = DType::Int32;
                } else if (!d.stmt->dtype.empty() && d.stmt->dtype != "float32") {
                    diags_
                        .error(file_, d.stmt->dtype_span,
                               "unknown element type '" + d.stmt->dtype + "' for input '" + d.name + "'")
                        .help("write `input " + d.name + ": [dims]` for float32 features or `input " + d.name +
                              ": int32[dims]` for token ids");
                    d.ok = false;
                }
                break;
            case NodeKind::Target: bind_target(d); break;
            case NodeKind::Layer:
            case NodeKind::Loss: bind_call(d); break;
        }
        if (d.kind == NodeKind::Input && !d.shape) d.ok = false;
    }

    // shape = "[" positive integers "]"
    std::optional<Shape> shape_literal(const ast::Value& v, const std::string& what, const char* example) {
        if (v.kind != ast::Value::Kind::List) {
            diags_.error(file_, v.span, what + " needs a shape like " + example);
            return std::nullopt;
        }
        Shape s;
        bool ok = true;
        for (const ast::Value& item : v.items) {
            if (item.kind != ast::Value::Kind::Int || item.int_value <= 0) {
                diags_.error(file_, item.span, "dimensions of " + what + " must be positive integers");
                ok = false;
                continue;
            }
            s.dims.push_back(item.int_value);
        }
        if (!ok) return std::nullopt;
        if (!tensor_elements(s)) {
            diags_
                .error(file_, v.span,
                       what + " " + s.str() + " has more than " + std::to_string(kMaxTensorElements) +
                           " elements per sample")
                .help("Halide indexes tensors with 32-bit integers; use smaller dimensions");
            return std::nullopt;
        }
        return s;
    }

    // target = [dims] (real-valued) | classes(C [, [dims]]) (class indices: one per sample, or
    // one per position of a per-sample shape, a sequence's classes(V, [T]))
    void bind_target(Def& d) {
        const ast::Value& v = d.stmt->value;
        if (v.kind == ast::Value::Kind::List) {
            d.shape = shape_literal(v, "target '" + d.name + "'", "[3]");
            d.ok = d.shape.has_value();
            return;
        }
        if (v.kind != ast::Value::Kind::Call || v.text != "classes") {
            diags_.error(file_, v.span, "target '" + d.name + "' needs a shape like [3] or classes(C)")
                .help("use classes(C) for class labels 0..C-1, [dims] for real-valued targets");
            d.ok = false;
            return;
        }
        std::vector<const ast::Arg*> args;
        for (const ast::Arg& a : v.args) args.push_back(&a);
        static const std::vector<AttrSchema> schema = {
            {"n", AttrType::Int, true, std::nullopt, {}, "number of classes"},
            {"shape",
             AttrType::IntList,
             false,
             AttrValue(std::vector<int64_t>{}),
             {},
             "per-sample shape of the class indices: [T] for one per position of a sequence"}};
        BoundAttrs b = bind_attrs("classes", schema, args, v.span, file_, diags_);
        if (!b.ok) {
            d.ok = false;
            return;
        }
        d.num_classes = b.attrs.get_int("n");
        if (d.num_classes < 2) {
            diags_.error(file_, b.given_at.at("n"),
                         "classes(C) needs at least 2 classes, got " + std::to_string(d.num_classes));
            d.ok = false;
            return;
        }
        d.target_kind = TargetKind::Classes;
        Shape positions;  // [] for one class index per sample, [T] for one per position
        for (int64_t dim : std::get<std::vector<int64_t>>(b.attrs.values.at("shape"))) {
            if (dim <= 0) {
                diags_.error(file_, b.given_at.at("shape"),
                             "dimensions of target '" + d.name + "' must be positive integers");
                d.ok = false;
                return;
            }
            positions.dims.push_back(dim);
        }
        if (!tensor_elements(positions)) {
            diags_.error(file_, b.given_at.at("shape"),
                         "target '" + d.name + "' " + positions.str() + " has more than " +
                             std::to_string(kMaxTensorElements) + " elements per sample");
            d.ok = false;
            return;
        }
        d.shape = positions;
    }

    // A call: leading positional identifiers are tensor inputs (up to the op's maximum); the rest
    // bind to the op's attributes. An identifier that names no node still counts as an input
    // while the op needs more, so a typo reads "undefined name", not "expects an integer".
    void bind_call(Def& d) {
        const ast::Value& call = d.stmt->value;
        const bool is_loss = d.kind == NodeKind::Loss;
        if (d.stmt->failed_use) {  // a block use already reported by the expander: keep its inputs used
            for (const ast::Arg& a : call.args)
                if (a.value.is_ident() && names_.count(a.value.text))
                    d.inputs.push_back({a.value.text, a.value.span, -1});
            d.ok = false;
            d.quiet = true;
            return;
        }
        d.op = ops_.find(call.text);
        if (!d.op) {
            report_unknown_op(d, call);
            d.ok = false;
        } else if (is_loss != (d.op->kind == OpKind::Loss)) {
            if (is_loss)
                diags_.error(file_, call.callee_span, "'" + call.text + "' is a layer, not a loss")
                    .note("losses: " + join(op_names(OpKind::Loss)));
            else
                diags_.error(file_, call.callee_span, "'" + call.text + "' is a loss, not a layer")
                    .help("write it as `loss = " + call.text + "(prediction, target)`");
            d.op = nullptr;
            d.ok = false;
            d.quiet = true;
        }
        const int min_in = d.op ? d.op->min_inputs : 0;
        const int max_in = d.op ? (d.op->max_inputs < 0 ? INT_MAX : d.op->max_inputs) : INT_MAX;
        std::vector<const ast::Arg*> attr_args;
        const ast::Arg* weight = nullptr;
        bool inputs_done = false;
        for (const ast::Arg& a : call.args) {
            if (a.positional() && !inputs_done && static_cast<int>(d.inputs.size()) < max_in) {
                const ast::Value& v = a.value;
                if (v.is_ident() && (names_.count(v.text) || static_cast<int>(d.inputs.size()) < min_in)) {
                    d.inputs.push_back({v.text, v.span, -1});
                    continue;
                }
                if (v.kind == ast::Value::Kind::Call && ops_.find(v.text)) {
                    diags_.error(file_, v.span, "nested op calls are not supported")
                        .help("give the inner call its own name: `t = " + v.text + "(...)`, then pass t");
                    d.inputs.push_back({"", v.span, -1});
                    for (const ast::Arg& inner : v.args)
                        if (inner.value.is_ident()) d.mentioned.push_back(inner.value.text);
                    d.ok = false;
                    continue;
                }
                inputs_done = true;
            }
            // `weight=` is the loss's share of the total, not an attribute of the loss op.
            if (is_loss && a.key == "weight" && !(d.op && has_attr(*d.op, "weight"))) {
                weight = &a;
                continue;
            }
            attr_args.push_back(&a);
        }
        if (weight) {
            if (!weight->value.is_number() || !(weight->value.as_double() > 0)) {
                diags_.error(file_, weight->value.span, "loss weight must be a number greater than 0");
                d.ok = false;
            } else {
                d.loss_weight = weight->value.as_double();
            }
        }
        if (!d.op) return;
        if (static_cast<int>(d.inputs.size()) < min_in) {
            std::string want = std::to_string(min_in) + (min_in == 1 ? " tensor input" : " tensor inputs");
            if (is_loss) want += " (prediction, target)";
            diags_.error(file_, call.span,
                         "'" + call.text + "' expects " + want + ", got " + std::to_string(d.inputs.size()));
            d.ok = false;
        }
        BoundAttrs b = bind_attrs(call.text, d.op->attrs, attr_args, call.span, file_, diags_);
        d.attrs = std::move(b.attrs);
        if (!b.ok) d.ok = false;
        size_t positional = 0, init_at = d.op->attrs.size();
        for (size_t k = 0; k < d.op->attrs.size(); ++k)
            if (d.op->attrs[k].name == "init") init_at = k;
        for (const ast::Arg* a : attr_args) {
            if (a->key == "init") d.init_written = true;
            if (a->positional()) ++positional;
        }
        if (positional > init_at) d.init_written = true;
    }

    // Initializers follow the activation when the file does not choose one: a layer whose every
    // user is tanh or sigmoid gets Glorot (xavier_uniform) instead of its He default, which is
    // meant for ReLU. (Embeddings default to uniform and recurrent weights to orthogonal in
    // their own op specs.)
    void default_initializers() {
        for (Def& d : defs_) {
            if (d.kind != NodeKind::Layer || !d.op || d.init_written || !d.attrs.has("init") || d.users.empty())
                continue;
            const std::string kind = d.attrs.get_init("init").kind;
            if (kind != "he_normal" && kind != "he_uniform") continue;
            bool saturating = true;
            for (int u : d.users) {
                const Def& user = defs_[static_cast<size_t>(u)];
                saturating = saturating && user.op && (user.op->name == "tanh" || user.op->name == "sigmoid");
            }
            if (saturating) d.attrs.values["init"] = InitSpec{"xavier_uniform", 0.0};
        }
    }

    static bool has_attr(const OpSpec& op, const std::string& name) {
        for (const AttrSchema& s : op.attrs)
            if (s.name == name) return true;
        return false;
    }

    std::vector<std::string> op_names(OpKind kind) const {
        std::vector<std::string> out;
        for (const std::string& n : ops_.names())
            if (const OpSpec* s = ops_.find(n); s && s->kind == kind) out.push_back(n);
        return out;
    }

    void report_unknown_op(const Def& d, const ast::Value& call) {
        const bool is_loss = d.kind == NodeKind::Loss;
        const std::vector<std::string> same = op_names(is_loss ? OpKind::Loss : OpKind::Layer);
        const bool blocks = !is_loss && !block_names_.empty();
        std::vector<std::string> candidates = same;
        if (blocks) candidates.insert(candidates.end(), block_names_.begin(), block_names_.end());
        Diagnostic& diag = diags_.error(file_, call.callee_span,
                                        std::string("unknown ") +
                                            (is_loss  ? "loss"
                                             : blocks ? "layer or block"
                                                      : "layer") +
                                            " '" + call.text + "'");
        if (auto m = nearest_match(call.text, candidates)) diag.help("did you mean '" + *m + "'?");
        diag.note(std::string("known ") + (is_loss ? "losses: " : "layers: ") + join(same));
        if (blocks) diag.note("blocks in this file: " + join(block_names_));
    }

    // ---- resolve -------------------------------------------------------------------------
    void resolve(int id) {
        Def& d = defs_[static_cast<size_t>(id)];
        for (const std::string& name : d.mentioned)
            if (auto it = names_.find(name); it != names_.end()) quiet_.insert(it->second);
        for (size_t i = 0; i < d.inputs.size(); ++i) {
            Ref& r = d.inputs[i];
            if (r.name.empty()) continue;  // a nested call, already reported
            auto it = names_.find(r.name);
            if (it == names_.end()) {
                Diagnostic& diag = diags_.error(file_, r.span, "undefined name '" + r.name + "'");
                std::vector<std::string> known;
                for (const auto& [name, _] : names_) known.push_back(name);
                if (auto m = nearest_match(r.name, known)) {
                    diag.help("did you mean '" + *m + "'?");
                    quiet_.insert(names_.at(*m));  // its "never used" would only echo this typo
                }
                d.ok = false;
                continue;
            }
            r.def = it->second;
            Def& src = defs_[static_cast<size_t>(r.def)];
            src.users.push_back(id);
            // With no op (unknown or misused) the inputs' roles are unknown: nothing to check.
            if (d.op && !check_use(d, i, src)) d.ok = false;
        }
    }

    // Which kinds of node may feed which: targets only feed losses (as their second input);
    // a loss feeds nothing.
    bool check_use(const Def& user, size_t index, const Def& src) {
        const Span at = user.inputs[index].span;
        if (src.kind == NodeKind::Loss) {
            diags_.error(file_, at, "loss '" + src.name + "' cannot be used as an input");
            return false;
        }
        if (user.kind != NodeKind::Loss) {
            if (src.kind == NodeKind::Target) {
                diags_.error(file_, at, "target '" + src.name + "' can only be used by a loss")
                    .note(src.name_span, "'" + src.name + "' is declared as a target here");
                return false;
            }
            return true;
        }
        const std::string& op = user.stmt->value.text;
        if (index == 0 && src.kind == NodeKind::Target) {
            diags_.error(file_, at,
                         "the first input of '" + op + "' is the prediction, but '" + src.name + "' is a target");
            return false;
        }
        if (index == 1 && src.kind != NodeKind::Target) {
            Diagnostic& diag =
                diags_.error(file_, at,
                             "the second input of '" + op + "' must be a target, but '" + src.name + "' is " +
                                 (src.kind == NodeKind::Input ? "an " : "a ") + kind_word(src.kind));
            std::vector<int> targets;
            for (size_t t = 0; t < defs_.size(); ++t)
                if (defs_[t].kind == NodeKind::Target && !defs_[t].duplicate) targets.push_back(static_cast<int>(t));
            if (targets.size() == 1) {
                diag.help("did you mean the target '" + defs_[static_cast<size_t>(targets[0])].name + "'?");
                quiet_.insert(targets[0]);
            } else {
                diag.help(
                    "declare the labels with `target NAME: classes(C)` or `target NAME: [dims]` and pass them here");
            }
            return false;
        }
        return true;
    }

    // ---- order ---------------------------------------------------------------------------
    // Depth-first, visiting definitions in source order, so an already-ordered file keeps its order.
    std::vector<int> topological_order() {
        std::vector<int> state(defs_.size(), 0), path, order;  // 0 new, 1 on the path, 2 done
        std::function<void(int)> visit = [&](int id) {
            state[static_cast<size_t>(id)] = 1;
            path.push_back(id);
            for (const Ref& r : defs_[static_cast<size_t>(id)].inputs) {
                if (r.def < 0) continue;
                if (state[static_cast<size_t>(r.def)] == 1)
                    report_cycle(path, r.def);
                else if (state[static_cast<size_t>(r.def)] == 0)
                    visit(r.def);
            }
            path.pop_back();
            state[static_cast<size_t>(id)] = 2;
            order.push_back(id);
        };
        for (size_t d = 0; d < defs_.size(); ++d)
            if (state[d] == 0) visit(static_cast<int>(d));
        return order;
    }

    // `path` runs user -> input; the cycle is its tail from `back_to`. Reported once, at the member
    // defined first, in data-flow order: "a -> b -> a" means a feeds b and b feeds a.
    void report_cycle(const std::vector<int>& path, int back_to) {
        std::vector<int> cycle(std::find(path.begin(), path.end(), back_to), path.end());
        bool fresh = false;
        for (int id : cycle) fresh = fresh || !defs_[static_cast<size_t>(id)].in_cycle;
        if (!fresh) return;
        std::reverse(cycle.begin(), cycle.end());
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        std::string text;
        for (int id : cycle) {
            defs_[static_cast<size_t>(id)].in_cycle = true;
            defs_[static_cast<size_t>(id)].ok = false;
            text += defs_[static_cast<size_t>(id)].name + " -> ";
        }
        text += defs_[static_cast<size_t>(cycle.front())].name;
        const Def& at = defs_[static_cast<size_t>(cycle.front())];
        with_trail(at.stmt, [&] {
            diags_.error(file_, at.name_span, "cycle in the model graph: " + text)
                .help("a layer cannot depend on its own output; the graph must be acyclic");
        });
    }

    // ---- shapes --------------------------------------------------------------------------
    void infer_shape(int id) {
        Def& d = defs_[static_cast<size_t>(id)];
        if (d.kind == NodeKind::Input || d.kind == NodeKind::Target || !d.ok || !d.op) return;
        std::vector<Shape> in;
        for (size_t i = 0; i < d.inputs.size(); ++i) {
            const Ref& r = d.inputs[i];
            if (r.def < 0) return;
            const Def& src = defs_[static_cast<size_t>(r.def)];
            if (!src.shape) return;  // an error upstream; its own message says why
            // Token ids (int32 inputs) feed token ops only, and token ops take nothing else.
            const bool tokens = src.kind == NodeKind::Input && src.dtype == DType::Int32;
            const bool wants_tokens = d.op->token_input && i == 0;
            if (tokens != wants_tokens) {
                if (wants_tokens)
                    diags_
                        .error(file_, r.span,
                               "'" + d.op->name + "' takes int32 token ids, but '" + src.name + "' is a float tensor")
                        .help("declare the tokens as `input NAME: int32[T]` and pass that input here");
                else
                    diags_
                        .error(file_, r.span,
                               "'" + d.op->name + "' takes float tensors, but '" + src.name + "' holds int32 token ids")
                        .help("embed the ids first: `e = embedding(" + src.name + ", vocab, dim)`");
                return;
            }
            in.push_back(*src.shape);
        }
        if (d.kind == NodeKind::Loss && d.inputs.size() >= 2) {
            const Def& target = defs_[static_cast<size_t>(d.inputs[1].def)];
            const bool classes = target.target_kind == TargetKind::Classes;
            d.attrs.values["target_kind"] = std::string(classes ? "classes" : "real");
            d.attrs.values["num_classes"] = static_cast<int64_t>(target.num_classes);
        }
        if (!d.op->shape) {
            diags_.error(file_, d.stmt->value.callee_span, "internal error: op '" + d.op->name + "' has no shape rule");
            return;
        }
        ShapeResult r = d.op->shape(in, d.attrs);
        if (!r.error.empty()) {
            diags_.error(file_, d.stmt->value.span, r.error);
            return;
        }
        // Each tensor and parameter must be indexable with Halide's 32-bit integers.
        if (!tensor_elements(r.shape)) {
            diags_
                .error(file_, d.stmt->value.span,
                       "the output of '" + d.name + "', " + r.shape.str() + ", has more than " +
                           std::to_string(kMaxTensorElements) + " elements per sample")
                .help("Halide indexes tensors with 32-bit integers; make the layer smaller");
            return;
        }
        if (d.op->params) {
            for (const ParamSpec& p : d.op->params(in, d.attrs)) {
                if (tensor_elements(p.shape)) continue;
                diags_
                    .error(file_, d.stmt->value.span,
                           "parameter '" + d.name + "." + p.name + "', " + p.shape.str() + ", has more than " +
                               std::to_string(kMaxTensorElements) + " elements")
                    .help("Halide indexes tensors with 32-bit integers; make the layer smaller");
                return;
            }
        }
        d.shape = r.shape;
    }

    // ---- usage ---------------------------------------------------------------------------
    void check_usage(const ast::Model& m) {
        const Def* first_loss = nullptr;
        const Def* first_input = nullptr;
        bool any_input = false;
        bool any_loss = false;
        for (const Def& d : defs_) any_loss = any_loss || d.kind == NodeKind::Loss;
        for (size_t i = 0; i < defs_.size(); ++i) {
            const Def& d = defs_[i];
            any_input = any_input || d.kind == NodeKind::Input;
            // One input until multi-input models reach codegen and the C ABI; several targets and
            // losses make a multi-task model.
            for (auto [kind, first, word] : {std::tuple{NodeKind::Input, &first_input, "input"}}) {
                if (d.kind != kind || d.duplicate) continue;
                if (!*first)
                    *first = &d;
                else
                    diags_.error(file_, d.name_span, std::string("only one ") + word + " is supported in this version")
                        .note((*first)->name_span, std::string("first ") + word + " declared here");
            }
            if (d.kind == NodeKind::Loss) {
                if (!first_loss) first_loss = &d;
                continue;
            }
            // Without a loss every layer is a dead end; "has no loss" below says it once.
            if (!d.users.empty() || d.duplicate || d.quiet || quiet_.count(static_cast<int>(i)) || !any_loss) continue;
            const bool inner = d.name.find('.') != std::string::npos;  // else a model-level name
            with_trail(inner ? d.stmt : &no_trail_, [&] {
                Diagnostic& diag = diags_.error(file_, written_at(d),
                                                std::string(kind_word(d.kind)) + " '" + d.name + "' is never used");
                if (d.kind == NodeKind::Layer)
                    diag.help("every layer must lead to the loss; use its output or remove it");
                else if (d.kind == NodeKind::Target)
                    diag.help("pass it to the loss: `loss = op(prediction, " + d.name + ")`");
                else
                    diag.help("feed it to a layer or remove it");
            });
        }
        if (!first_loss)
            diags_.error(file_, m.name_span, "model '" + m.name + "' has no loss")
                .help("add one, e.g. `loss = softmax_cross_entropy(logits, label)`");
        if (!any_input)
            diags_.error(file_, m.name_span, "model '" + m.name + "' has no input")
                .help("declare one, e.g. `input image: [784]`");
    }

    // ---- build ---------------------------------------------------------------------------
    CheckedModel build(const ast::Model& m, const std::vector<int>& order) {
        CheckedModel out;
        out.name = m.name;
        out.source_path = file_.path();
        out.train = train_;
        std::vector<int> id_of(defs_.size(), -1);
        for (int d : order)
            id_of[static_cast<size_t>(d)] = static_cast<int>(out.nodes.size()), out.nodes.emplace_back();
        for (size_t di = 0; di < defs_.size(); ++di) {
            const Def& d = defs_[di];
            Node& n = out.nodes[static_cast<size_t>(id_of[di])];
            n.id = id_of[di];
            n.kind = d.kind;
            n.name = d.name;
            n.op = d.kind == NodeKind::Input ? "input" : d.kind == NodeKind::Target ? "target" : d.op->name;
            for (const Ref& r : d.inputs) n.inputs.push_back(id_of[static_cast<size_t>(r.def)]);
            n.attrs = d.attrs;
            n.shape = d.shape.value_or(Shape{});
            n.loc = d.name_span.loc;
            n.target_kind = d.target_kind;
            n.num_classes = d.num_classes;
            n.loss_weight = d.loss_weight;
            n.dtype = d.dtype;
            // Lists in declaration order, as the user wrote them.
            if (d.kind == NodeKind::Input) out.inputs.push_back(n.id);
            if (d.kind == NodeKind::Target) out.targets.push_back(n.id);
            if (d.kind == NodeKind::Loss) out.losses.push_back(n.id);
        }
        return out;
    }

    const SourceFile& file_;
    const OpCatalog& ops_;
    Diagnostics& diags_;
    const ast::Stmt no_trail_{};
    ast::Model expanded_;  // the model with its block uses expanded; defs_ point into it
    std::vector<std::string> block_names_;
    std::vector<Def> defs_;
    std::map<std::string, int> names_;  // name -> first definition
    std::set<int> quiet_;               // defs whose "never used" would echo an error already given
    TrainConfig train_;
};

}  // namespace

std::optional<CheckedModel> check(const ast::File& file, const SourceFile& source, const OpCatalog& ops,
                                  Diagnostics& diags) {
    return Checker(source, ops, diags).run(file);
}

}  // namespace nnc::dsl
