// init-activation: an initializer written explicitly fits what follows the layer (the field
// guide: He for relu, Xavier for tanh/sigmoid, uniform for word embeddings). Defaults already
// follow the activation, so only an `init=` the user wrote is checked.
#include "dsl/lint/graph.h"
#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {
namespace {

bool is_he(const std::string& k) { return k == "he_normal" || k == "he_uniform"; }
bool is_xavier(const std::string& k) { return k == "xavier_uniform" || k == "xavier_normal"; }
bool is_constant(const std::string& k) { return k == "zeros" || k == "ones"; }

std::string spelled(const InitSpec& s) {
    if (s.kind == "gaussian" || s.kind == "uniform") {
        std::string a = std::to_string(s.a);
        a.erase(a.find_last_not_of('0') + 1);
        if (!a.empty() && a.back() == '.') a.pop_back();
        return s.kind + "(" + a + ")";
    }
    return s.kind;
}

void check_layer(Context& ctx, const std::string& rule, int id, const Span& at) {
    const Node& n = ctx.node(id);
    const InitSpec& init = n.attrs.get_init("init");
    const std::optional<int> act = activation_after(ctx, id);
    if (!act) return;  // an output layer, or one whose activation is not one kind: nothing to compare
    const Node& a = ctx.node(*act);
    const bool relu = a.op == "relu" || a.op == "leaky_relu";
    const std::string init_text = spelled(init);
    if (is_constant(init.kind)) {
        ctx.warn(rule, id, at,
                 "init=" + init_text + " on '" + n.name +
                     "', a hidden layer: every unit starts the same, "
                     "gets the same gradient and stays the same")
            .help(std::string("use init=") + (relu ? "he_normal" : "xavier_uniform") +
                  " (or leave init out: the "
                  "default follows the activation)");
        return;
    }
    if (relu && !is_he(init.kind)) {
        ctx.warn(rule, id, at,
                 "'" + n.name + "' feeds " + a.op + " ('" + a.name + "') but is initialized with " + init_text)
            .help(
                "use init=he_normal: its variance 2/fan_in keeps relu activations from shrinking layer by layer "
                "(He et al. 2015)");
    } else if (!relu && !is_xavier(init.kind) && init.kind != "orthogonal") {
        ctx.warn(rule, id, at,
                 "'" + n.name + "' feeds " + a.op + " ('" + a.name + "') but is initialized with " + init_text)
            .help("use init=xavier_uniform: its variance 2/(fan_in + fan_out) keeps " + a.op +
                  " out of saturation (Glorot and Bengio 2010)");
    }
}

}  // namespace

void check_init_activation(Context& ctx, const std::string& rule) {
    for (const Node& n : ctx.model().nodes) {
        if (n.kind != NodeKind::Layer) continue;
        if (n.op == "dense" || n.op == "conv2d") {
            if (auto at = ctx.attr_span(n.id, "init")) check_layer(ctx, rule, n.id, *at);
        } else if (n.op == "embedding") {
            const auto at = ctx.attr_span(n.id, "init");
            const InitSpec& init = n.attrs.get_init("init");
            if (at && init.kind != "uniform")
                ctx.warn(rule, n.id, *at, "embedding '" + n.name + "' is initialized with " + spelled(init))
                    .help(
                        "use init=uniform(0.05) (the default): word embeddings train much faster from a small "
                        "uniform table than from xavier");
        } else if (n.op == "lstm" || n.op == "gru") {
            for (const char* key : {"init", "recurrent_init"}) {
                const auto at = ctx.attr_span(n.id, key);
                const InitSpec& init = n.attrs.get_init(key);
                if (!at) continue;
                const bool recurrent = std::string(key) == "recurrent_init";
                if (is_he(init.kind) || is_constant(init.kind))
                    ctx.warn(rule, n.id, *at,
                             std::string(key) + "=" + spelled(init) + " on " + n.op + " '" + n.name +
                                 "', whose gates are sigmoid and tanh")
                        .help(recurrent ? "use recurrent_init=orthogonal (the default) or xavier_uniform"
                                        : "use init=xavier_uniform (the default)");
            }
        }
    }
}

}  // namespace nnc::dsl::lint
