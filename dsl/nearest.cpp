// Edit distance and nearest-name suggestions: the vocabulary's (nnc/train_vocabulary.h), one
// helper for the checker and the runtime.
#include "dsl/nearest.h"

#include <nnc/train_vocabulary.h>

namespace nnc::dsl {

int edit_distance(const std::string& a, const std::string& b) { return vocab::edit_distance(a, b); }

std::optional<std::string> nearest_match(const std::string& name, const std::vector<std::string>& candidates) {
    return vocab::nearest(name, candidates);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
}

}  // namespace nnc::dsl
