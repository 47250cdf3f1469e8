// Shape::str — the one spelling of a shape used in every message and dump: "[32, 28, 28]".
#include "dsl/model.h"

namespace nnc::dsl {

std::string Shape::str() const {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(dims[i]);
    }
    return s + "]";
}

}  // namespace nnc::dsl
