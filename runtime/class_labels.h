// What a class label may be for a model's class target: a class in [0, num_classes), or the label
// its loss skips (ignore_index, padding in sequence targets), which counts in no metric.
#pragma once
#include <nnc/model_desc.h>

#include <cstdint>
#include <string>

namespace nnc::runtime {

inline bool ignored_label(const nnc_target_desc& d, int64_t label) {
    return d.has_ignore_index && label == d.ignore_index;
}

inline bool valid_label(const nnc_target_desc& d, int64_t label) {
    return (label >= 0 && label < d.num_classes) || ignored_label(d, label);
}

// "the model has 10 classes (0 to 9), or the ignored label -100": for out-of-range messages.
inline std::string label_range(const nnc_target_desc& d) {
    return std::to_string(d.num_classes) + " classes (0 to " + std::to_string(d.num_classes - 1) + ")" +
           (d.has_ignore_index ? ", or the ignored label " + std::to_string(d.ignore_index) : "");
}

// "sample 3, position 5": where label `i` of a target of `positions` labels per sample sits.
inline std::string label_place(int64_t i, int64_t positions) {
    return positions > 1 ? "sample " + std::to_string(i / positions) + ", position " + std::to_string(i % positions)
                         : "sample " + std::to_string(i);
}

}  // namespace nnc::runtime
