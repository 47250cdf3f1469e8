// softmax_cross_entropy(logits, label): mean over the batch of logsumexp(z) - z[label],
// as torch.nn.CrossEntropyLoss. Softmax is fused in: numerically stable, and the gradient is
// simply (softmax(z) - onehot(label)) / N.
// logits: (N, C)   label: (N) int32 in [0, C)   loss: scalar
// Sequence targets, classes(C, [T]): logits (N, T, C), labels (N, T); the loss is the mean over
// every position of every sample whose label is not ignore_index (torch's reduction='mean' with
// ignore_index; 0, not NaN, when every label is ignored). Computed on rows (rows.h).
#include "codegen/layers/layer_registry.h"
#include "codegen/layers/rows.h"

namespace nnc::codegen {
namespace {

using namespace Halide;

class SoftmaxCrossEntropy final : public Layer {
public:
    SoftmaxCrossEntropy() {
        spec_.name = "softmax_cross_entropy";
        spec_.kind = dsl::OpKind::Loss;
        spec_.min_inputs = spec_.max_inputs = 2;
        spec_.summary = "softmax + cross-entropy against class indices (classification)";
        spec_.attrs = {{"ignore_index",
                        dsl::AttrType::Int,
                        false,
                        dsl::AttrValue(int64_t(-100)),
                        {},
                        "positions whose label is this value add nothing to the loss (padding), as torch's"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            const bool classes = a.has("target_kind") && a.get_string("target_kind") == "classes";
            if (!classes)
                return dsl::ShapeResult::fail("softmax_cross_entropy needs a classes(C) target, got a real target " +
                                              in[1].str() + "; use mse for regression");
            const int64_t c = a.get_int("num_classes");
            dsl::Shape want = in[1];
            want.dims.push_back(c);
            if (in[0] != want) {
                std::string target = "classes(" + std::to_string(c) + ")";
                if (!in[1].dims.empty()) target = "classes(" + std::to_string(c) + ", " + in[1].str() + ")";
                return dsl::ShapeResult::fail("softmax_cross_entropy expects logits of shape " + want.str() +
                                              " for a " + target + " target, got " + in[0].str());
            }
            return dsl::ShapeResult::ok({});
        };
        spec_.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
        // One per logit (the exp-sum of the log-sum-exp), as softmax.
        spec_.macs = [](const std::vector<dsl::Shape>& in, const dsl::Shape&, const dsl::Attrs&) {
            return in[0].elements();
        };
    }
    const dsl::OpSpec& spec() const override { return spec_; }

    Func forward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                 const std::vector<Tensor>&) const override {
        const Rows r = rows(ctx, node, in, "");
        RDom c(0, r.classes, "r_class");
        Var m("n");
        Func mx(ctx.func_name(node, "max")), lse(ctx.func_name(node, "lse"));
        mx(m) = maximum(r.z(c, m));
        lse(m) = mx(m) + log(sum(exp(r.z(c, m) - mx(m))));
        RDom b(0, r.count, "r_batch");
        Func loss(ctx.func_name(node, "fwd"));
        Expr term = lse(b) - r.z(r.label(b), b);
        loss() = sum(select(r.valid(b), term, zero_of(ctx.type))) / r.counted();
        return loss;
    }

    Gradients backward(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                       const std::vector<Tensor>&, const Tensor&, const Func& d_loss) const override {
        const Rows r = rows(ctx, node, in, "d_");
        Var c("c"), m("n");
        Func p = softmax_probs(ctx, node, r.z, r.classes, "probs");
        Func dz(ctx.func_name(node, r.sequence ? "d_logits_rows" : "d_logits"));
        Expr g = (p(c, m) - select(c == r.label(m), one_of(ctx.type), zero_of(ctx.type))) * (d_loss() / r.counted());
        dz(c, m) = select(r.valid(m), g, zero_of(ctx.type));
        return {{from_rows(dz, in[0].shape, ctx.func_name(node, "d_logits")), Func()}, {}};
    }

    Func predict(const LayerContext& ctx, const dsl::Node& node, const Tensor& logits) const override {
        const bool sequence = logits.shape.dims.size() > 1;
        Func z = as_rows(logits.func, logits.shape, ctx.func_name(node, "p_rows"));
        Func p = softmax_probs(ctx, node, z, static_cast<int>(logits.extent(0)), sequence ? "probs_rows" : "probs");
        return from_rows(p, logits.shape, ctx.func_name(node, "probs"));
    }

private:
    // The logits and labels as rows, one per position of every sample (one per sample for a
    // classes(C) target), and which rows count.
    struct Rows {
        Func z, labels, count_func;
        int classes = 0;
        Expr count;  // rows in the batch
        bool sequence = false;
        int64_t ignore = -100;
        // Labels are validated by the runtime; the clamp only keeps accesses in bounds.
        Expr label(Expr m) const { return clamp(labels(m), 0, classes - 1); }
        Expr valid(Expr m) const { return labels(m) != cast<int32_t>(static_cast<int32_t>(ignore)); }
        Expr counted() const { return max(count_func(), one_of(count_func.output_types()[0])); }
    };

    // `prefix` keeps the backward's Funcs apart from the forward's: one pipeline holds both, and
    // schedules (saved ones included) find a Func by its name.
    static Rows rows(const LayerContext& ctx, const dsl::Node& node, const std::vector<Tensor>& in,
                     const std::string& prefix) {
        Rows r;
        r.sequence = in[0].shape.dims.size() > 1;
        r.classes = static_cast<int>(in[0].extent(0));
        r.count = rows_of(in[0].shape, ctx.batch);
        r.ignore = node.attrs.has("ignore_index") ? node.attrs.get_int("ignore_index") : -100;
        r.z = as_rows(in[0].func, in[0].shape, ctx.func_name(node, prefix + "logit_rows"));
        r.labels = in[1].func;
        if (r.sequence) {
            Var m("m");
            r.labels = Func(ctx.func_name(node, prefix + "label_rows"));
            r.labels(m) = in[1].func(row_coords(in[0].shape, m));
        }
        // The rows that count: the mean's denominator.
        RDom b(0, r.count, "r_rows");
        r.count_func = Func(ctx.func_name(node, prefix + "count"));
        // An update definition, not an inline sum(): the inline form adds an anonymous Func whose
        // place in the schedule a saved schedule cannot name.
        r.count_func() = zero_of(ctx.type);
        r.count_func() += select(r.valid(b), one_of(ctx.type), zero_of(ctx.type));
        return r;
    }

    static Func softmax_probs(const LayerContext& ctx, const dsl::Node& node, const Func& z, int classes,
                              const std::string& name) {
        Var c("c"), n("n");
        RDom r(0, classes, "r_class");
        Func mx(ctx.func_name(node, "p_max")), den(ctx.func_name(node, "p_sum")), p(ctx.func_name(node, name));
        mx(n) = maximum(z(r, n));
        den(n) = sum(exp(z(r, n) - mx(n)));
        p(c, n) = exp(z(c, n) - mx(n)) / den(n);
        return p;
    }

    dsl::OpSpec spec_;
};

}  // namespace
NNC_REGISTER_LAYER(SoftmaxCrossEntropy);
}  // namespace nnc::codegen
