#include "runtime/tensor_buffer.h"

#include "runtime/errors.h"

#include <limits>

namespace nnc::runtime {

TensorView::TensorView(void* data, halide_type_t type, std::span<const int64_t> dims, int64_t batch,
                       const std::string& what) {
    const int rank = static_cast<int>(dims.size()) + (batch == kNoBatch ? 0 : 1);
    if (static_cast<int>(dims.size()) > NNC_MAX_RANK) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, what + ": rank " + std::to_string(dims.size()) +
                                                  " exceeds NNC_MAX_RANK (" + std::to_string(NNC_MAX_RANK) + ")");
    }
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    int64_t stride = 1;
    // Halide's dim[0] is the innermost (last row-major) dimension.
    for (int i = 0; i < rank; ++i) {
        const bool is_batch = batch != kNoBatch && i == rank - 1;
        const int64_t extent = is_batch ? batch : dims[dims.size() - 1 - i];
        if (extent <= 0 || extent > kMax || stride > kMax) {
            throw Error(NNC_ERR_INVALID_ARGUMENT, what + ": extent " + std::to_string(extent) +
                                                      " is out of range (1.." + std::to_string(kMax) + ")");
        }
        dims_[i] = halide_dimension_t{0, static_cast<int32_t>(extent), static_cast<int32_t>(stride), 0};
        stride *= extent;
    }
    if (stride > kMax) {
        throw Error(NNC_ERR_INVALID_ARGUMENT, what + ": " + std::to_string(stride) +
                                                  " elements exceed Halide's 32-bit indexing; use a smaller batch");
    }
    buffer_.host = static_cast<uint8_t*>(data);
    buffer_.type = type;
    buffer_.dimensions = rank;
    buffer_.dim = dims_.data();
}

}  // namespace nnc::runtime
