#include "runtime/param_stats.h"

#include "runtime/model.h"
#include "runtime/safeguards.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnc::runtime {

double tensor_grad_norms(const nnc_model& model, const float* grads, std::vector<double>& sq, Workers* workers) {
    const int n = model.desc->num_trainable;
    sq.assign(static_cast<size_t>(n), 0.0);
    // Work items: (tensor, block) with blocks of kMinFloatsPerThread inside each tensor, so one
    // pass over the arena yields every tensor's sum and the work still spreads over the workers.
    constexpr int64_t kBlock = kMinFloatsPerThread;
    struct Item {
        int p;
        int64_t begin, count;
    };
    std::vector<Item> items;
    for (int p = 0; p < n; ++p) {
        const int64_t off = model.offset[static_cast<size_t>(p)], count = model.count[static_cast<size_t>(p)];
        for (int64_t b = 0; b < count; b += kBlock) items.push_back({p, off + b, std::min(kBlock, count - b)});
    }
    std::vector<double> partial(items.size(), 0.0);
    auto block = [&](int64_t i) {
        const Item& it = items[static_cast<size_t>(i)];
        partial[static_cast<size_t>(i)] = sum_of_squares(grads + it.begin, it.count);
    };
    const int64_t k = static_cast<int64_t>(items.size());
    if (workers && k > 1)
        workers->run(k, block);
    else
        for (int64_t i = 0; i < k; ++i) block(i);
    for (size_t i = 0; i < items.size(); ++i) sq[static_cast<size_t>(items[i].p)] += partial[i];
    double total = 0;
    for (double s : sq) total += s;
    return std::sqrt(total);
}

void UpdateRatio::before(const nnc_model& model) {
    const float* w = model.params.host_read();
    before_.assign(w, w + model.trainable_size);
}

void UpdateRatio::after(const nnc_model& model, std::vector<double>& ratios) const {
    const int n = model.desc->num_trainable;
    ratios.assign(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
    if (static_cast<int64_t>(before_.size()) != model.trainable_size) return;
    const float* w = model.params.host_read();
    for (int p = 0; p < n; ++p) {
        const int64_t off = model.offset[static_cast<size_t>(p)], count = model.count[static_cast<size_t>(p)];
        double dw = 0, w0 = 0;
        for (int64_t i = off; i < off + count; ++i) {
            const double b = before_[static_cast<size_t>(i)], d = static_cast<double>(w[i]) - b;
            dw += d * d;
            w0 += b * b;
        }
        if (w0 > 0) ratios[static_cast<size_t>(p)] = std::sqrt(dw) / std::sqrt(w0);
    }
}

}  // namespace nnc::runtime
