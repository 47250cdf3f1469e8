// reshape(x, shape=[...]): the same elements in row-major order under a new per-sample shape;
// one dimension may be -1 (inferred), as torch.reshape.
#include "codegen/layers/reindex.h"

namespace nnc::codegen {
namespace {

class Reshape final : public ReindexLayer {
public:
    Reshape() {
        spec_.name = "reshape";
        spec_.summary = "the same elements under a new per-sample shape";
        spec_.attrs = {
            {"shape", dsl::AttrType::IntList, true, std::nullopt, {}, "the new per-sample shape; one -1 is inferred"}};
        spec_.shape = [](const std::vector<dsl::Shape>& in, const dsl::Attrs& a) {
            std::vector<int64_t> dims = std::get<std::vector<int64_t>>(a.values.at("shape"));
            int64_t known = 1;
            int infer = -1;
            for (size_t i = 0; i < dims.size(); ++i) {
                if (dims[i] == -1 && infer < 0)
                    infer = static_cast<int>(i);
                else if (dims[i] < 1)
                    return dsl::ShapeResult::fail("reshape dimensions must be positive (or one -1)");
                else
                    known *= dims[i];
            }
            const int64_t total = in[0].elements();
            if (infer >= 0) {
                if (total % known != 0)
                    return dsl::ShapeResult::fail("reshape cannot fit " + in[0].str() + " (" + std::to_string(total) +
                                                  " elements) into a multiple of " + std::to_string(known));
                dims[static_cast<size_t>(infer)] = total / known;
            }
            dsl::Shape out{dims};
            if (out.elements() != total)
                return dsl::ShapeResult::fail("reshape from " + in[0].str() + " (" + std::to_string(total) +
                                              " elements) to " + out.str() + " (" + std::to_string(out.elements()) +
                                              " elements)");
            return dsl::ShapeResult::ok(out);
        };
    }
};

}  // namespace
NNC_REGISTER_LAYER(Reshape);
}  // namespace nnc::codegen
