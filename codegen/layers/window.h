// Sliding-window arithmetic shared by conv2d and the pooling layers: PyTorch's output-size
// formula, and the "same" padding rule.
#pragma once
#include <cstdint>
#include <string>

#include "dsl/model.h"

namespace nnc::codegen {

struct Window {
    int64_t kernel = 1, stride = 1, dilation = 1, pad = 0;
    int64_t effective() const { return dilation * (kernel - 1) + 1; }
    // floor((in + 2 pad - effective) / stride) + 1, as torch.nn.Conv2d / MaxPool2d.
    int64_t output(int64_t in) const { return (in + 2 * pad - effective()) / stride + 1; }
};

// Reads kernel/stride/dilation and padding ("same", "valid", or an explicit pad >= 0) from
// attributes; "same" pads (effective - 1) / 2 on every side, so it needs an odd effective kernel.
// Returns an error message, or "" on success.
inline std::string window_from_attrs(const dsl::Attrs& a, Window* w, bool has_dilation = true) {
    w->kernel = a.get_int("kernel");
    w->stride = a.has("stride") && a.get_int("stride") > 0 ? a.get_int("stride") : w->kernel;
    w->dilation = has_dilation ? a.get_int("dilation") : 1;
    if (w->kernel < 1) return "kernel must be at least 1, got " + std::to_string(w->kernel);
    if (w->stride < 1) return "stride must be at least 1, got " + std::to_string(w->stride);
    if (w->dilation < 1) return "dilation must be at least 1, got " + std::to_string(w->dilation);
    const int64_t explicit_pad = a.has("pad") ? a.get_int("pad") : -1;
    if (explicit_pad >= 0) {
        w->pad = explicit_pad;
    } else if (a.has("padding") && a.get_string("padding") == "same") {
        if (w->effective() % 2 == 0)
            return "padding=same needs an odd kernel (kernel " + std::to_string(w->kernel) + ", dilation " +
                   std::to_string(w->dilation) + "); give pad=N explicitly";
        w->pad = (w->effective() - 1) / 2;
    } else {
        w->pad = 0;
    }
    return "";
}

}  // namespace nnc::codegen
