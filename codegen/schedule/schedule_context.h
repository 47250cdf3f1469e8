// What a schedule template works on: the pipeline's Funcs, its target and batch extent, the
// records its lowering's forwards and backwards left (codegen/schedule/layer_records.h), each
// node's knob values (codegen/schedule/template_knobs.h), and which Funcs a layer has scheduled
// already.
#pragma once
#include <Halide.h>

#include <map>
#include <set>
#include <string>

#include "codegen/schedule/layer_records.h"
#include "codegen/schedule/template_knobs.h"
#include "dsl/model.h"

namespace nnc::codegen {

class ScheduleContext {
public:
    // `records`: what the lowering of this pipeline recorded (LoweredPipeline::records); it must
    // outlive the context. `knobs`: the knob values by node name (ScheduleOptions::knobs).
    ScheduleContext(const Halide::Target& target, Halide::Expr batch, std::map<std::string, Halide::Func> funcs,
                    const LayerRecords& records, std::map<std::string, KnobValues> knobs = {})
        : target_(target),
          batch_(std::move(batch)),
          funcs_(std::move(funcs)),
          records_(records),
          knobs_(std::move(knobs)) {}

    const Halide::Target& target() const { return target_; }
    const Halide::Expr& batch() const { return batch_; }  // the pipeline's batch extent
    int vector_width(Halide::Type t) const { return target_.natural_vector_size(t); }

    // What the node's layer built for this pipeline, as its forward and backward recorded it
    // (LayerContext::record): the record's Funcs are this pipeline's, undefined where the
    // pipeline has none of them. A default record (every Func undefined) when the pipeline has
    // no Func of the node's record. R must be the type the layer recorded.
    template <class R>
    R record(const dsl::Node& node) const {
        return records_.bound<R>(node.name, [&](const Halide::Func& f) {
            auto it = funcs_.find(f.name());
            const bool same = it != funcs_.end() && it->second.function().same_as(f.function());
            return same ? it->second : Halide::Func();
        });
    }

    // The knob values handed to the node's templates; empty (every default) for a node without.
    KnobValues knobs(const std::string& node) const {
        auto it = knobs_.find(node);
        return it == knobs_.end() ? KnobValues{} : it->second;
    }

    // Marks a Func as scheduled by a layer so the default leaves it alone.
    void claim(const Halide::Func& f) { claimed_.insert(f.name()); }
    bool claimed(const std::string& name) const { return claimed_.count(name) != 0; }
    const std::map<std::string, Halide::Func>& funcs() const { return funcs_; }

private:
    Halide::Target target_;
    Halide::Expr batch_;
    std::map<std::string, Halide::Func> funcs_;
    const LayerRecords& records_;
    std::map<std::string, KnobValues> knobs_;
    std::set<std::string> claimed_;
};

}  // namespace nnc::codegen
