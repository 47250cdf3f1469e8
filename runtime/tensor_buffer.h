// halide_buffer_t views of the runtime's row-major arrays, in the layout model_desc.h fixes:
// Halide dimensions are innermost first, so a row-major (N, d0, d1) tensor becomes
// dim[0] = d1 (stride 1), dim[1] = d0 (stride d1), dim[2] = N (stride d0*d1), batch outermost.
#pragma once
#include <HalideRuntime.h>
#include <nnc/model_desc.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace nnc::runtime {

inline constexpr int64_t kNoBatch = -1;

// A view (it owns its dimensions, never its data) of a row-major tensor as a halide_buffer_t.
class TensorView {
public:
    TensorView() = default;
    // `dims`: row-major per-sample dims, outermost first. `batch` > 0 adds an outermost batch
    // dimension; kNoBatch for unbatched tensors (parameters, the 0-d loss). Throws Error when an
    // extent or the element count does not fit Halide's 32-bit indexing; `what` names the tensor.
    TensorView(void* data, halide_type_t type, std::span<const int64_t> dims, int64_t batch, const std::string& what);

    // The buffer to pass in a pipeline's argv; valid while this view lives.
    halide_buffer_t* raw() {
        buffer_.dim = dims_.data();
        return &buffer_;
    }

private:
    halide_buffer_t buffer_{};
    std::array<halide_dimension_t, NNC_MAX_RANK + 1> dims_{};
};

inline halide_type_t float32_type() { return halide_type_t(halide_type_float, 32); }
inline halide_type_t int32_type() { return halide_type_t(halide_type_int, 32); }

}  // namespace nnc::runtime
