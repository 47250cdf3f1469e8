#include "runtime/safeguards.h"

#include "runtime/errors.h"
#include "runtime/lr_schedule.h"
#include "runtime/model.h"
#include "runtime/optimizers/optimizer.h"

#include <nnc/train_vocabulary.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace nnc::runtime {

// Sum of squares of n floats in double, 16 independent partial sums (vectorizable, fixed order).
NNC_VECTOR_CLONES double sum_squares(const float* __restrict x, int64_t n) {
    double acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int k = 0; k < 16; ++k) acc[k] += static_cast<double>(x[i + k]) * static_cast<double>(x[i + k]);
    }
    for (; i < n; ++i) acc[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    double total = 0;
    for (double a : acc) total += a;
    return total;
}

double sum_of_squares(const float* x, int64_t count) { return sum_squares(x, count); }

NNC_VECTOR_CLONES void scale_floats(float* __restrict x, int64_t n, float factor) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] * factor;
}

NNC_VECTOR_CLONES void clamp_floats(float* __restrict x, int64_t n, float bound) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], -bound), bound);
}

double l2_norm(const float* data, int64_t count, Workers* workers) {
    constexpr int64_t kBlock = kMinFloatsPerThread;
    const int64_t blocks = (count + kBlock - 1) / kBlock;
    std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
    auto block = [&](int64_t b) {
        const int64_t begin = b * kBlock;
        partial[static_cast<size_t>(b)] = sum_squares(data + begin, std::min(kBlock, count - begin));
    };
    if (workers && blocks > 1)
        workers->run(blocks, block);
    else
        for (int64_t b = 0; b < blocks; ++b) block(b);
    double total = 0;
    for (double p : partial) total += p;
    return std::sqrt(total);
}

void scale(float* data, int64_t count, float factor, Workers* workers) {
    for_chunks(workers, count, [&](int64_t b, int64_t e) { scale_floats(data + b, e - b, factor); });
}

void clip_by_value(float* data, int64_t count, float bound, Workers* workers) {
    for_chunks(workers, count, [&](int64_t b, int64_t e) { clamp_floats(data + b, e - b, bound); });
}

float clip_norm_factor(double norm, double max_norm) {
    // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1, in float32.
    const float coef = static_cast<float>(max_norm / (static_cast<double>(static_cast<float>(norm)) + 1e-6));
    return coef < 1.0f ? coef : 1.0f;
}

void clip_by_norm(float* data, int64_t count, double norm, double max_norm, Workers* workers) {
    const float coef = clip_norm_factor(norm, max_norm);
    if (coef < 1.0f) scale(data, count, coef, workers);
}

bool has_max_norm(const nnc_model& model) {
    for (int p = 0; p < model.desc->num_params; ++p) {
        if (model.desc->params[p].max_norm > 0) return true;
    }
    return false;
}

int64_t apply_max_norm(nnc_model& model) {
    int64_t rescaled = 0;
    if (!has_max_norm(model)) return 0;
    // On the host: a CUDA model's parameters come down and go back up (no device kernel).
    float* const params = model.params.host_write();
    for (int p = 0; p < model.desc->num_params; ++p) {
        const nnc_param_desc& d = model.desc->params[p];
        if (!(d.max_norm > 0)) continue;
        float* w = params + model.offset[p];
        const int64_t count = model.count[p];
        if (d.units_first && d.rank >= 2) {  // w[unit, ...]: each unit one contiguous block
            const int64_t units = d.dims[0], size = count / units;
            for (int64_t u = 0; u < units; ++u) {
                float* block = w + u * size;
                double sum = 0.0;
                for (int64_t i = 0; i < size; ++i) sum += static_cast<double>(block[i]) * block[i];
                const double norm = std::sqrt(sum);
                if (norm <= d.max_norm) continue;
                const float f = static_cast<float>(d.max_norm / (norm + 1e-7));
                for (int64_t i = 0; i < size; ++i) block[i] *= f;
                ++rescaled;
            }
            continue;
        }
        const int64_t units = d.rank >= 2 ? d.dims[d.rank - 1] : 1;  // w[row, unit], row-major
        const int64_t rows = count / units;
        std::vector<double> norms(static_cast<size_t>(units), 0.0);
        for (int64_t r = 0; r < rows; ++r) {
            const float* row = w + r * units;
            for (int64_t u = 0; u < units; ++u) norms[u] += static_cast<double>(row[u]) * row[u];
        }
        std::vector<float> factor(static_cast<size_t>(units), 1.0f);
        bool any = false;
        for (int64_t u = 0; u < units; ++u) {
            const double norm = std::sqrt(norms[u]);
            if (norm > d.max_norm) {
                factor[u] = static_cast<float>(d.max_norm / (norm + 1e-7));
                any = true;
                ++rescaled;
            }
        }
        if (!any) continue;
        for (int64_t r = 0; r < rows; ++r) {
            float* row = w + r * units;
            for (int64_t u = 0; u < units; ++u) row[u] *= factor[u];
        }
    }
    return rescaled;
}

void validate_early_stopping(const nnc_early_stopping& c) {
    if (!c.enabled) return;
    require(vocab::find_value(vocab::kMonitors, c.monitor) != nullptr,
            "early stopping monitor = " + std::to_string(c.monitor) + " is invalid; it must be an nnc_monitor (" +
                vocab::enumerators(vocab::kMonitors, "NNC_MONITOR_") + ")");
    require(vocab::find_value(vocab::kModes, c.mode) != nullptr,
            "early stopping mode = " + std::to_string(c.mode) + " is invalid; it must be an nnc_mode (" +
                vocab::enumerators(vocab::kModes, "NNC_MODE_") + ")");
    require(c.patience >= 0,
            "early stopping patience = " + std::to_string(c.patience) + " is invalid; it must be >= 0");
    require(std::isfinite(c.min_delta) && c.min_delta >= 0,
            "early stopping min_delta = " + std::to_string(c.min_delta) + " is invalid; it must be finite and >= 0");
}

EarlyStopping::EarlyStopping(const nnc_early_stopping& config, int64_t arena_size) : c_(config) {
    validate_early_stopping(c_);
    minimize_ = minimizes(c_.monitor, c_.mode);
    best_ = minimize_ ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    arena_size_ = arena_size;
}

bool EarlyStopping::observe(int64_t epoch, double metric, const float* params) {
    if (improves(metric, best_, minimize_, c_.min_delta, true)) {
        best_ = metric;
        best_epoch_ = epoch;
        wait_ = 0;
        best_params_.assign(params, params + arena_size_);
        return false;
    }
    return ++wait_ >= c_.patience;  // Keras: patience epochs without improvement
}

bool EarlyStopping::restore(float* params) const {
    if (best_epoch_ == 0) return false;
    std::copy(best_params_.begin(), best_params_.end(), params);
    return true;
}

}  // namespace nnc::runtime
