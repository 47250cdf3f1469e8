// The shared shape of 2-D pooling layers over (C, H, W): kernel, stride (default: the kernel),
// padding; the window arithmetic and attribute schema are the same for max and average.
#pragma once
#include "codegen/layers/layer_registry.h"
#include "codegen/layers/window.h"

namespace nnc::codegen {

inline void pool_spec(dsl::OpSpec& spec, const std::string& name, const std::string& summary) {
    spec.name = name;
    spec.summary = summary;
    spec.attrs = {
        {"kernel", dsl::AttrType::Int, false, dsl::AttrValue(int64_t(2)), {}, "window size (square)"},
        {"stride",
         dsl::AttrType::Int,
         false,
         dsl::AttrValue(int64_t(0)),
         {},
         "step between windows (default: the kernel)"},
        {"pad", dsl::AttrType::Int, false, dsl::AttrValue(int64_t(0)), {}, "padding on each side"},
    };
    spec.shape = [name](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
        if (in[0].dims.size() != 3)
            return dsl::ShapeResult::fail(name + " expects a (C, H, W) input, got " + in[0].str());
        Window w;
        if (std::string e = window_from_attrs(a, &w, false); !e.empty()) return dsl::ShapeResult::fail(name + ": " + e);
        if (2 * w.pad > w.kernel)
            return dsl::ShapeResult::fail(name + ": pad " + std::to_string(w.pad) +
                                          " must be at most half the kernel " + std::to_string(w.kernel));
        const int64_t h = in[0].dims[1], wd = in[0].dims[2];
        if (w.kernel > h + 2 * w.pad || w.kernel > wd + 2 * w.pad)
            return dsl::ShapeResult::fail(name + " kernel " + std::to_string(w.kernel) + "x" +
                                          std::to_string(w.kernel) + " is larger than its padded input " +
                                          std::to_string(h + 2 * w.pad) + "x" + std::to_string(wd + 2 * w.pad) +
                                          " (input " + in[0].str() + ")");
        return dsl::ShapeResult::ok({{in[0].dims[0], w.output(h), w.output(wd)}});
    };
    spec.params = [](const std::vector<dsl::Shape>&, const dsl::Attrs&) { return std::vector<dsl::ParamSpec>{}; };
    // No multiplies here: each window tap's compare (max) or add (average) is counted as one
    // multiply-accumulate, K*K per output element, so that pooling is not free in the totals.
    spec.macs = [](const std::vector<dsl::Shape>&, const dsl::Shape& out, const dsl::Attrs& a) {
        const int64_t k = a.get_int("kernel");
        return out.elements() * k * k;
    };
}

inline Window pool_window(const dsl::Node& node) {
    Window w;
    window_from_attrs(node.attrs, &w, false);
    return w;
}

}  // namespace nnc::codegen
