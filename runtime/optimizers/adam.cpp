// Adam as torch.optim.Adam and AdamW as torch.optim.AdamW (amsgrad and maximize off), per
// element in float32, step t from 1:
//   p = p * (1 - lr * wd)                                (adamw: decoupled weight decay)
//   g = g + wd * p                                       (adam: L2 weight decay, as torch)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + ((1 - beta2) * g) * g
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   p = p + ((-lr / (1 - beta1^t)) * m) / denom
// The per-step scalars are computed in double, like torch's Python code, then rounded to float.
// A zero decay term adds or multiplies exactly (x + 0 * p = x, x * 1 = x), so one loop serves all.
#include "runtime/optimizers/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnc::runtime {

struct AdamScalars {
    float keep;  // adamw: 1 - lr * wd, else 1
    float wd;    // adam: the L2 term, else 0
    float beta1, one_minus_beta1, beta2, one_minus_beta2;
    float neg_step_size, bias_correction2_sqrt, eps;
};

NNC_VECTOR_CLONES void adam_update(float* __restrict p, const float* __restrict g, float* __restrict m,
                                   float* __restrict v, int64_t n, AdamScalars s) {
    for (int64_t i = 0; i < n; ++i) {
        const float param = p[i] * s.keep;
        const float grad = g[i] + s.wd * param;
        m[i] = m[i] * s.beta1 + s.one_minus_beta1 * grad;
        v[i] = v[i] * s.beta2 + s.one_minus_beta2 * grad * grad;
        const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;
        p[i] = param + s.neg_step_size * m[i] / denom;
    }
}

namespace {

class Adam final : public Optimizer {
public:
    Adam(const OptimizerConfig& config, int64_t count)
        : Optimizer(config, count), m_(static_cast<size_t>(count), 0.0f), v_(static_cast<size_t>(count), 0.0f) {}

    DeviceUpdate device_update() override {
        const AdamScalars s = next_scalars();
        return {DeviceKernel::Adam,
                {1.0f, kNoClip, s.keep, s.wd, s.beta1, s.one_minus_beta1, s.beta2, s.one_minus_beta2, s.neg_step_size,
                 s.bias_correction2_sqrt, s.eps}};
    }

    void step(float* params, const float* grads) override {
        const AdamScalars s = next_scalars();
        float* m = m_.data();
        float* v = v_.data();
        for_chunks([&](int64_t b, int64_t e) { adam_update(params + b, grads + b, m + b, v + b, e - b, s); });
    }

    // Advances the step count: t from 1.
    AdamScalars next_scalars() {
        ++step_;
        const bool decoupled = config_.name == "adamw";
        const double t = static_cast<double>(step_);
        AdamScalars s;
        s.keep = decoupled ? static_cast<float>(1.0 - config_.lr * config_.weight_decay) : 1.0f;
        s.wd = decoupled ? 0.0f : static_cast<float>(config_.weight_decay);
        s.beta1 = static_cast<float>(config_.beta1);
        s.one_minus_beta1 = static_cast<float>(1.0 - config_.beta1);
        s.beta2 = static_cast<float>(config_.beta2);
        s.one_minus_beta2 = static_cast<float>(1.0 - config_.beta2);
        s.neg_step_size = static_cast<float>(-(config_.lr / (1.0 - std::pow(config_.beta1, t))));
        s.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(config_.beta2, t)));
        s.eps = static_cast<float>(config_.eps);
        return s;
    }

    void reset() override {
        std::fill(m_.begin(), m_.end(), 0.0f);
        std::fill(v_.begin(), v_.end(), 0.0f);
        step_ = 0;
    }

    void visit_state(OptimizerStateFields& f) override {
        f.counter("step", step_);
        f.buffer("exp_avg", m_);
        f.buffer("exp_avg_sq", v_);
    }

private:
    std::vector<float> m_, v_;
    int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_adam(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Adam>(config, count);
}

}  // namespace nnc::runtime
