#include "runtime/cli/diagnostics/probe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace nnc::diagnostics {
namespace {

bool is_distribution(const float* row, int64_t classes) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) {
        if (!(row[c] >= -1e-6f && row[c] <= 1.f + 1e-6f)) return false;
        sum += row[c];
    }
    return std::abs(sum - 1.0) < 1e-3;
}

}  // namespace

std::vector<double> to_probabilities(const float* outputs, int64_t rows, int64_t classes) {
    std::vector<double> p(static_cast<size_t>(rows * classes));
    bool all_distributions = true;
    for (int64_t r = 0; r < rows && all_distributions; ++r)
        all_distributions = is_distribution(outputs + r * classes, classes);
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = outputs + r * classes;
        double* out = p.data() + r * classes;
        if (all_distributions) {
            for (int64_t c = 0; c < classes; ++c) out[c] = std::max(0.0, static_cast<double>(in[c]));
            continue;
        }
        const double top = *std::max_element(in, in + classes);  // logits: a stable softmax
        double sum = 0;
        for (int64_t c = 0; c < classes; ++c) sum += out[c] = std::exp(static_cast<double>(in[c]) - top);
        for (int64_t c = 0; c < classes; ++c) out[c] /= sum;
    }
    return p;
}

ProbeStats probe_stats(const std::vector<double>& probs, int64_t rows, int64_t classes) {
    ProbeStats s;
    s.samples = rows;
    s.max_entropy = std::log(static_cast<double>(classes));
    if (rows <= 0 || classes <= 0) return s;
    std::vector<int64_t> predicted(static_cast<size_t>(classes), 0);
    for (int64_t r = 0; r < rows; ++r) {
        const double* p = probs.data() + r * classes;
        double h = 0;
        for (int64_t c = 0; c < classes; ++c)
            if (p[c] > 0) h -= p[c] * std::log(p[c]);
        const int64_t top = std::max_element(p, p + classes) - p;
        s.entropy += h;
        s.mean_top_prob += p[top];
        ++s.top_prob_hist[static_cast<size_t>(std::clamp(static_cast<int>(p[top] * 10), 0, 9))];
        ++predicted[static_cast<size_t>(top)];
    }
    s.entropy /= static_cast<double>(rows);
    s.mean_top_prob /= static_cast<double>(rows);
    s.majority_fraction =
        static_cast<double>(*std::max_element(predicted.begin(), predicted.end())) / static_cast<double>(rows);
    return s;
}

std::vector<int> labels_from_losses(const std::vector<double>& probs, int64_t rows, int64_t classes,
                                    const std::vector<double>& losses) {
    std::vector<int> labels(static_cast<size_t>(rows), 0);
    for (int64_t r = 0; r < rows; ++r) {
        const double* p = probs.data() + r * classes;
        double best = std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < classes; ++c) {
            // A float32 probability that underflowed to 0 had -ln p above ~104 (the smallest float).
            const double nll = p[c] > 0 ? -std::log(p[c]) : std::max(104.0, losses[static_cast<size_t>(r)]);
            const double d = std::abs(nll - losses[static_cast<size_t>(r)]);
            if (d < best) best = d, labels[static_cast<size_t>(r)] = static_cast<int>(c);
        }
    }
    return labels;
}

double top_share(const std::vector<int>& labels) {
    if (labels.empty()) return 0;
    std::map<int, int64_t> counts;
    int64_t top = 0;
    for (int l : labels) top = std::max(top, ++counts[l]);
    return static_cast<double>(top) / static_cast<double>(labels.size());
}

}  // namespace nnc::diagnostics
