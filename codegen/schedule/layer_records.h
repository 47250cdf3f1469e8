// Typed records between a layer's algorithm and its schedule.
//
// A layer family declares one record type: the Funcs its forward and backward built for a node
// and the algorithm form they chose. For example
//     struct DenseRecord {
//         Halide::Func fwd, weight_t, d_input, d_weight;
//         template <class Visit> void funcs(Visit&& visit) { visit(fwd); visit(weight_t); ... }
//     };
// `funcs` visits every Func member (as Halide::Func&, the elements of a vector of Funcs one by
// one) in a fixed order; the other members (forms, flags, extents) are plain values.
//
// One lowering (one pipeline, or one stage of a staged pipeline) fills one LayerRecords through
// LayerContext::record (codegen/layers/layer.h), which backward shares with forward. The lowering
// returns it with its pipeline (LoweredPipeline::records, LoweredStage::records), and
// schedule_pipeline hands it to the layers' schedules, which read a node's record through
// ScheduleContext::record (codegen/schedule/schedule_context.h): its Funcs those of the pipeline
// being scheduled, undefined where that pipeline has none (an inference pipeline has no
// gradients).
#pragma once
#include <Halide.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <utility>

namespace nnc::codegen {

class LayerRecords {
public:
    // The node's record, created empty on first use; every later call shares it. Throws
    // std::logic_error (an internal error) if the node has a record of another type.
    template <class R>
    std::shared_ptr<R> get(const std::string& node) {
        auto [it, added] = by_node_.try_emplace(node, typeid(R), nullptr);
        if (added) it->second.second = std::make_shared<R>();
        check_type<R>(node, it->second.first);
        return std::static_pointer_cast<R>(it->second.second);
    }

    // A copy of the node's record whose Funcs are the scheduled pipeline's: each Func for which
    // `in_pipeline(f)` gives the pipeline's own handle to it (an undefined Func where the
    // pipeline lacks it) is replaced by that handle. A default record (every Func undefined)
    // where the node has none or the pipeline has none of its Funcs.
    template <class R, class InPipeline>
    R bound(const std::string& node, const InPipeline& in_pipeline) const {
        auto it = by_node_.find(node);
        if (it == by_node_.end()) return R{};
        check_type<R>(node, it->second.first);
        R r = *std::static_pointer_cast<const R>(it->second.second);
        bool any = false;
        r.funcs([&](Halide::Func& f) {
            if (f.defined()) f = in_pipeline(f);
            any = any || f.defined();
        });
        return any ? r : R{};
    }

private:
    template <class R>
    static void check_type(const std::string& node, std::type_index held) {
        if (held != typeid(R))
            throw std::logic_error("internal error: node '" + node + "' has a " + held.name() + " record, not a " +
                                   typeid(R).name());
    }

    // By node name: the record's type and the record.
    std::map<std::string, std::pair<std::type_index, std::shared_ptr<void>>> by_node_;
};

}  // namespace nnc::codegen
