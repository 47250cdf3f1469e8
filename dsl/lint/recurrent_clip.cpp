// rnn-clip-norm: recurrent layers train with the gradient's global norm clipped (the field guide:
// keep it at 5 to 15). Backpropagation through time multiplies by the recurrent weights once per
// step, so one long or unusual sequence can make the gradient explode.
#include <cstdio>

#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {

void check_rnn_clip_norm(Context& ctx, const std::string& rule) {
    const TrainConfig& t = ctx.model().train;
    for (const Node& n : ctx.model().nodes) {
        if (n.kind != NodeKind::Layer || (n.op != "lstm" && n.op != "gru")) continue;
        if (t.clip_norm == 0) {
            Diagnostic& d = ctx.warn(rule, n.id, ctx.node_span(n.id),
                                     n.op + " '" + n.name +
                                         "' trains without gradient-norm clipping: one long sequence "
                                         "can make its gradient explode");
            d.help("add `clip_norm = 5` to the train section (5 to 15 is the usual range)");
            if (t.clip_value > 0)
                d.note(
                    "clip_value clamps each gradient element; clip_norm bounds the norm of the whole gradient and "
                    "keeps its direction");
        } else if (t.clip_norm > 15) {
            char value[32];
            std::snprintf(value, sizeof value, "%g", t.clip_norm);
            const Span at = ctx.setting_span("clip_norm").value_or(ctx.node_span(n.id));
            ctx.warn(rule, -1, at,
                     std::string("clip_norm = ") + value + " hardly ever clips the gradient of " + n.op + " '" +
                         n.name + "'")
                .help("use 5 to 15");
        }
        return;  // one finding per model: the setting is global
    }
}

}  // namespace nnc::dsl::lint
