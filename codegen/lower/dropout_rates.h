// The dropout layers whose rates a training pipeline takes at run time: every `dropout` node, in
// graph order. Index k of the pipeline's `dropout_rates` argument (and of nnc_model_dropout_info)
// is the k-th node here. A node declared with rate 0 is listed too, so that a run may turn it on
// (it costs one hash per element while training; inference never draws).
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "dsl/model.h"

namespace nnc::codegen {

inline std::vector<const dsl::Node*> dropout_nodes(const dsl::CheckedModel& model) {
    std::vector<const dsl::Node*> out;
    for (const dsl::Node& n : model.nodes)
        if (n.kind == dsl::NodeKind::Layer && n.op == "dropout") out.push_back(&n);
    return out;
}

// The extent of the `dropout_rates` argument: one entry per dropout node, and one unused entry
// when there is none (a buffer argument of extent 0 is awkward for every caller).
inline int dropout_rates_extent(const dsl::CheckedModel& model) {
    return std::max<int>(1, static_cast<int>(dropout_nodes(model).size()));
}

}  // namespace nnc::codegen
