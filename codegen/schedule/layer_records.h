// Typed records between a layer's algorithm and its schedule.
//
// A layer family declares one record type: the Funcs its forward and backward built for a node
// and the algorithm form they chose. For example
//     struct DenseRecord {
//         Halide::Func fwd, weight_t, d_input, d_weight;
//         template <class Visit> void funcs(Visit&& visit) { visit(fwd); visit(weight_t); ... }
//     };
// `funcs` visits every Func member (as Halide::Func&, the elements of a vector of Funcs one by
// one) in a fixed order; the other members (forms, flags, extents) are plain values. The
// lowering fills a node's record through LayerContext::record (codegen/layers/layer.h), which
// backward shares with forward; the layer's schedule gets it back from ScheduleContext::record
// (codegen/schedule/schedule_context.h), its Funcs those of the pipeline being scheduled, and
// undefined where that pipeline has none (an inference pipeline has no gradients).
//
// How a record crosses from the lowering to the scheduler: the two share no object (the lowering
// hands over Halide pipelines only), so each record is published here, in one index for the
// process, under the names of its Funcs. Halide makes every Func name unique within the process
// (Func(name) goes through Internal::unique_name: a second "fc1__fwd" is "fc1__fwd$1", even once
// the first is gone), so a name found in a pipeline is the very Func the record holds. The
// published copy keeps the names, not the Funcs, so that it holds no pipeline (nor any buffer
// bound to one) alive; what stays is a few names per node and lowering, for the life of the
// process.
#pragma once
#include <Halide.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace nnc::codegen {

// A record as published: a copy with its Funcs undefined, and their names.
struct PublishedRecord {
    std::string node;                     // the node's name
    std::type_index type = typeid(void);  // the record type
    std::shared_ptr<const void> record;   // a copy of the record, its Funcs undefined
    std::vector<std::string> funcs;       // the names of its Funcs, in visit order ("" for an undefined one)
    uint64_t serial = 0;                  // a node's later publication (after its backward) supersedes

    // The record, its Funcs looked up by name with `find(name)` (an undefined Func where it finds none).
    template <class R, class Find>
    R bind(const Find& find) const {
        R r = *std::static_pointer_cast<const R>(record);
        size_t i = 0;
        r.funcs([&](Halide::Func& f) {
            if (i < funcs.size() && !funcs[i].empty()) f = find(funcs[i]);
            ++i;
        });
        return r;
    }
};

namespace records_detail {

struct Index {
    std::mutex mu;
    uint64_t serial = 0;
    std::unordered_map<std::string, std::shared_ptr<const PublishedRecord>> by_func;
};

inline Index& index() {
    static Index the_index;
    return the_index;
}

}  // namespace records_detail

// Publishes (or republishes, superseding) `node`'s record under the names of its defined Funcs.
template <class R>
void publish_record(const std::string& node, const R& live) {
    auto copy = std::make_shared<R>(live);
    auto published = std::make_shared<PublishedRecord>();
    published->node = node;
    published->type = typeid(R);
    copy->funcs([&](Halide::Func& f) {
        published->funcs.push_back(f.defined() ? f.name() : std::string());
        f = Halide::Func();  // the copy holds no Func of the pipeline
    });
    published->record = copy;
    records_detail::Index& index = records_detail::index();
    std::lock_guard<std::mutex> lock(index.mu);
    published->serial = ++index.serial;
    for (const std::string& name : published->funcs)
        if (!name.empty()) index.by_func[name] = published;
}

// The record published under a Func's name, or null.
inline std::shared_ptr<const PublishedRecord> published_record(const std::string& func_name) {
    records_detail::Index& index = records_detail::index();
    std::lock_guard<std::mutex> lock(index.mu);
    auto it = index.by_func.find(func_name);
    return it == index.by_func.end() ? nullptr : it->second;
}

}  // namespace nnc::codegen
