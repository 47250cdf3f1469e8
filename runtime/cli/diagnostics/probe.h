// The sharpening probe: a fixed batch of samples run through a softmax classifier in inference
// mode after every epoch. Its statistics say whether the predictions grow confident (the entropy
// falls from ln C) and whether they spread over the classes or collapse onto one.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace nnc::diagnostics {

struct ProbeStats {
    double entropy = 0;                       // mean entropy of the predicted distribution, in nats
    double max_entropy = 0;                   // ln C: the entropy of a uniform prediction
    double mean_top_prob = 0;                 // mean probability of the predicted (top) class
    std::array<int64_t, 10> top_prob_hist{};  // counts of the top probability in [0,0.1), ..., [0.9,1]
    double majority_fraction = 0;             // share of the probe predicted as the most predicted class
    int64_t samples = 0;
};

// The model's outputs (rows x classes, row-major) as probabilities in double: kept when every row
// already is a distribution (a softmax cross-entropy model's inference output), else each row is
// taken as logits and put through a softmax.
std::vector<double> to_probabilities(const float* outputs, int64_t rows, int64_t classes);

// The statistics of `rows` distributions over `classes` classes (rows x classes, row-major).
ProbeStats probe_stats(const std::vector<double>& probs, int64_t rows, int64_t classes);

// Each row's class label, from its distribution and its cross-entropy loss -ln p[label]: the class
// whose -ln p is nearest the loss. The ABI gives a dataset's losses but not its labels; this
// recovers them exactly unless two classes have the same probability (then either is taken).
std::vector<int> labels_from_losses(const std::vector<double>& probs, int64_t rows, int64_t classes,
                                    const std::vector<double>& losses);

// The share of the most frequent value among `labels` (0 for none).
double top_share(const std::vector<int>& labels);

}  // namespace nnc::diagnostics
