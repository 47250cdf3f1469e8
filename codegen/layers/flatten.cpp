// flatten(x): (C, H, W) or any per-sample shape -> one axis, in row-major order (torch.flatten
// from dimension 1). Forward and backward only re-index.
#include "codegen/layers/reindex.h"

namespace nnc::codegen {
namespace {

class Flatten final : public ReindexLayer {
public:
    Flatten() {
        spec_.name = "flatten";
        spec_.summary = "all per-sample axes into one, row-major";
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs&) {
            return dsl::ShapeResult::ok({{in[0].elements()}});
        };
    }
};

}  // namespace
NNC_REGISTER_LAYER(Flatten);
}  // namespace nnc::codegen
