// What a schedule template works on: the pipeline's Funcs, its target and batch extent, the
// records the layers' forwards and backwards left (codegen/schedule/layer_records.h), and which
// Funcs a layer has scheduled already.
#pragma once
#include <Halide.h>

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "codegen/schedule/layer_records.h"
#include "dsl/model.h"

namespace nnc::codegen {

class ScheduleContext {
public:
    ScheduleContext(const Halide::Target& target, Halide::Expr batch, std::map<std::string, Halide::Func> funcs)
        : target_(target), batch_(std::move(batch)), funcs_(std::move(funcs)) {}

    const Halide::Target& target() const { return target_; }
    const Halide::Expr& batch() const { return batch_; }  // the pipeline's batch extent
    int vector_width(Halide::Type t) const { return target_.natural_vector_size(t); }

    // What the node's layer built for this pipeline, as its forward and backward recorded it
    // (LayerContext::record): the record's Funcs are this pipeline's, undefined where the
    // pipeline has none of them. A default record (every Func undefined) when the pipeline has
    // no Func of the node's record. R must be the type the layer recorded.
    template <class R>
    R record(const dsl::Node& node) {
        const PublishedRecord* published = published_for(node.name);
        if (!published) return R{};
        if (published->type != typeid(R))
            throw std::logic_error("internal error: node '" + node.name + "' recorded a " + published->type.name() +
                                   ", its schedule asks for a " + typeid(R).name());
        return published->bind<R>([&](const std::string& name) {
            auto it = funcs_.find(name);
            return it == funcs_.end() ? Halide::Func() : it->second;
        });
    }

    // Marks a Func as scheduled by a layer so the default leaves it alone.
    void claim(const Halide::Func& f) { claimed_.insert(f.name()); }
    bool claimed(const std::string& name) const { return claimed_.count(name) != 0; }
    const std::map<std::string, Halide::Func>& funcs() const { return funcs_; }

private:
    // The latest record published for the node among this pipeline's Funcs, or null.
    const PublishedRecord* published_for(const std::string& node) {
        if (!records_indexed_) {
            for (const auto& [name, f] : funcs_) {
                std::shared_ptr<const PublishedRecord> p = published_record(name);
                if (!p) continue;
                std::shared_ptr<const PublishedRecord>& mine = records_[p->node];
                if (!mine || mine->serial < p->serial) mine = p;
            }
            records_indexed_ = true;
        }
        auto it = records_.find(node);
        return it == records_.end() ? nullptr : it->second.get();
    }

    Halide::Target target_;
    Halide::Expr batch_;
    std::map<std::string, Halide::Func> funcs_;
    std::set<std::string> claimed_;
    bool records_indexed_ = false;
    std::map<std::string, std::shared_ptr<const PublishedRecord>> records_;  // by node name
};

}  // namespace nnc::codegen
