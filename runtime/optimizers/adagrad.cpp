// Adagrad as torch.optim.Adagrad (maximize off), per element in float32, step t from 1:
//   g = g + wd * p                                       (L2 weight decay)
//   clr = lr / (1 + (t - 1) * lr_decay)                  (in double, then float)
//   s = s + g * g                                        (s starts at initial_accumulator_value)
//   p = p + (-clr * g) / (sqrt(s) + eps)
#include "runtime/optimizers/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nnc::runtime {

struct AdagradScalars {
    float wd, neg_clr, eps;
};

NNC_VECTOR_CLONES void adagrad_update(float* __restrict p, const float* __restrict g, float* __restrict sum, int64_t n,
                                      AdagradScalars s) {
    for (int64_t i = 0; i < n; ++i) {
        const float grad = g[i] + s.wd * p[i];
        sum[i] = sum[i] + grad * grad;
        const float std_ = std::sqrt(sum[i]) + s.eps;
        p[i] = p[i] + s.neg_clr * grad / std_;
    }
}

namespace {

class Adagrad final : public Optimizer {
public:
    Adagrad(const OptimizerConfig& config, int64_t count) : Optimizer(config, count) { reset(); }

    // Advances the step count: t from 1.
    AdagradScalars next_scalars() {
        ++step_;
        const double clr = config_.lr / (1.0 + static_cast<double>(step_ - 1) * config_.lr_decay);
        return {static_cast<float>(config_.weight_decay), static_cast<float>(-clr), static_cast<float>(config_.eps)};
    }

    DeviceUpdate device_update() override {
        const AdagradScalars s = next_scalars();
        return {DeviceKernel::Adagrad, {1.0f, kNoClip, s.wd, s.neg_clr, s.eps}};
    }

    void step(float* params, const float* grads) override {
        const AdagradScalars s = next_scalars();
        float* sum = sum_.data();
        for_chunks([&](int64_t b, int64_t e) { adagrad_update(params + b, grads + b, sum + b, e - b, s); });
    }

    void reset() override {
        sum_.assign(static_cast<size_t>(count_), static_cast<float>(config_.initial_accumulator_value));
        step_ = 0;
    }

    void visit_state(OptimizerStateFields& f) override {
        f.counter("step", step_);
        f.buffer("sum", sum_);
    }

private:
    std::vector<float> sum_;
    int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_adagrad(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Adagrad>(config, count);
}

}  // namespace nnc::runtime
