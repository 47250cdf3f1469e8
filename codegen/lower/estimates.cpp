#include "codegen/lower/estimates.h"

namespace nnc::codegen {

void set_output_estimates(std::vector<Tensor>& outputs, int batch_estimate) {
    for (Tensor& t : outputs) {
        const int rank = static_cast<int>(t.shape.dims.size());
        Halide::Region estimates;
        for (int d = 0; d < rank; ++d) {
            const int extent = static_cast<int>(t.extent(d));
            estimates.push_back({0, extent});
            t.func.output_buffer().dim(d).set_bounds(0, extent);
        }
        if (t.batched) {
            estimates.push_back({0, batch_estimate});
            t.func.output_buffer().dim(rank).set_min(0);
        }
        t.func.set_estimates(estimates);
    }
}

}  // namespace nnc::codegen
