#include "codegen/tune/knob_space.h"

#include "codegen/layers/window.h"

namespace nnc::codegen {
namespace {

void append(std::vector<KnobRange>& to, std::vector<KnobRange> from) { to.insert(to.end(), from.begin(), from.end()); }

// conv2d.cpp's forms: images at most 8 wide take the narrow (channel) form, which has no knobs.
std::vector<KnobRange> conv2d_space(const dsl::CheckedModel& model, const dsl::Node& node) {
    Window w;
    window_from_attrs(node.attrs, &w);
    const int64_t w_in = model.node(node.inputs.at(0)).shape.dims.at(2), w_out = node.shape.dims.at(2);
    std::vector<KnobRange> space;
    if (w_out > 8) append(space, prefixed("fwd.", WindowProductKnobs::space()));
    if (w.stride > 1 || w_in > 8) append(space, prefixed("d_input.", WindowProductKnobs::space()));
    append(space, prefixed("d_weight.", WeightGradientKnobs::space()));
    return space;
}

// Batch norm's sums: lane sums on (C, H, W) inputs, batch sums on [F] inputs.
std::vector<KnobRange> batchnorm_space(const dsl::CheckedModel& model, const dsl::Node& node) {
    const bool lanes = model.node(node.inputs.at(0)).shape.dims.size() == 3;
    std::vector<KnobRange> space;
    for (const char* part : {"fwd.", "bwd."})
        append(space, prefixed(part, lanes ? LaneSumKnobs::space() : BatchSumKnobs::space()));
    return space;
}

// maxpool2d.cpp: the argmax (forward and backward), and the input gradient's gather when the
// windows tile the input.
std::vector<KnobRange> maxpool_space(const dsl::Node& node) {
    Window w;
    window_from_attrs(node.attrs, &w, false);
    std::vector<KnobRange> space = prefixed("argmax.", WindowReductionKnobs::space());
    if (w.stride == w.kernel && w.pad == 0) append(space, prefixed("d_input.", WindowGatherKnobs::space()));
    return space;
}

std::vector<KnobRange> template_space(const dsl::CheckedModel& model, const dsl::Node& node) {
    if (node.op == "dense") {
        std::vector<KnobRange> space;
        for (const char* product : {"fwd.", "d_input.", "d_weight."})
            append(space, prefixed(product, ProductKnobs::space()));
        return space;
    }
    if (node.op == "conv2d") return conv2d_space(model, node);
    if (node.op == "lstm" || node.op == "gru") {  // codegen/layers/recurrent.h's schedule_layer
        std::vector<KnobRange> space;
        for (const char* product : {"input_proj.", "d_input.", "d_weight_ih.", "d_weight_hh."})
            append(space, prefixed(product, ProductKnobs::space()));
        for (const char* scan : {"state.", "d_state."}) append(space, prefixed(scan, RecurrentScanKnobs::space()));
        return space;
    }
    if (node.op == "batchnorm") return batchnorm_space(model, node);
    if (node.op == "maxpool2d") return maxpool_space(node);
    return {};
}

// The ops whose Funcs the default schedule takes in part (their elementwise parts, bias sums,
// the parameter gradients' copies) or whole (average pooling): their "default." knobs.
bool has_default_knobs(const std::string& op) {
    for (const char* o : {"dense", "conv2d", "batchnorm", "maxpool2d", "avgpool2d", "global_avgpool"})
        if (op == o) return true;
    return false;
}

}  // namespace

std::vector<KnobRange> layer_knob_space(const dsl::CheckedModel& model, const dsl::Node& node) {
    if (node.kind != dsl::NodeKind::Layer) return {};
    std::vector<KnobRange> space = template_space(model, node);
    if (has_default_knobs(node.op)) append(space, prefixed("default.", DefaultKnobs::space()));
    return space;
}

KnobValues default_knobs(const std::vector<KnobRange>& space) {
    KnobValues v;
    for (const KnobRange& k : space) v[k.name] = k.default_value;
    return v;
}

}  // namespace nnc::codegen
