// Adam as torch.optim.Adam (amsgrad and maximize off), per element in float32, step t from 1:
//   g = g + wd * p                                       (L2 weight decay, if any, as torch)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + ((1 - beta2) * g) * g
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   p = p + ((-lr / (1 - beta1^t)) * m) / denom
// The per-step scalars are computed in double, like torch's Python code, then rounded to float.
#include "runtime/optimizers/optimizer.h"

#include <cmath>
#include <vector>

namespace nnc::runtime {
namespace {

class Adam final : public Optimizer {
public:
    Adam(const OptimizerConfig& config, int64_t count)
        : config_(config), count_(count), m_(static_cast<size_t>(count), 0.0f), v_(static_cast<size_t>(count), 0.0f) {}

    void step(float* params, const float* grads) override {
        ++step_;
        config_.weight_decay != 0 ? update<true>(params, grads) : update<false>(params, grads);
    }

    void reset() override {
        std::fill(m_.begin(), m_.end(), 0.0f);
        std::fill(v_.begin(), v_.end(), 0.0f);
        step_ = 0;
    }

private:
    template <bool kDecay>
    void update(float* __restrict params, const float* __restrict grads) {
        const double t = static_cast<double>(step_);
        const double bias_correction1 = 1.0 - std::pow(config_.beta1, t);
        const double bias_correction2 = 1.0 - std::pow(config_.beta2, t);
        const float neg_step_size = static_cast<float>(-(config_.lr / bias_correction1));
        const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
        const float wd = static_cast<float>(config_.weight_decay);
        const float beta1 = static_cast<float>(config_.beta1), one_minus_beta1 = static_cast<float>(1.0 - config_.beta1);
        const float beta2 = static_cast<float>(config_.beta2), one_minus_beta2 = static_cast<float>(1.0 - config_.beta2);
        const float eps = static_cast<float>(config_.eps);
        float* __restrict m = m_.data();
        float* __restrict v = v_.data();
        for (int64_t i = 0; i < count_; ++i) {
            float g = grads[i];
            if constexpr (kDecay) g = g + wd * params[i];
            m[i] = m[i] * beta1 + one_minus_beta1 * g;
            v[i] = v[i] * beta2 + one_minus_beta2 * g * g;
            const float denom = std::sqrt(v[i]) / bias_correction2_sqrt + eps;
            params[i] = params[i] + neg_step_size * m[i] / denom;
        }
    }

    OptimizerConfig config_;
    int64_t count_;
    std::vector<float> m_, v_;
    int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Adam>(config, count);
}

}  // namespace nnc::runtime
