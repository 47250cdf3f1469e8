// SGD as torch.optim.SGD (dampening 0, maximize off), per element in float32:
//   d = g + wd * p                         (if weight_decay)
//   b = d on the first step, else momentum * b + d
//   d = d + momentum * b  (nesterov)  or  d = b
//   p = p + (-lr) * d
#include "runtime/optimizers/optimizer.h"

#include <vector>

namespace nnc::runtime {
namespace {

class Sgd final : public Optimizer {
public:
    Sgd(const OptimizerConfig& config, int64_t count) : config_(config), count_(count) {
        if (config.momentum != 0) buffer_.assign(static_cast<size_t>(count), 0.0f);
    }

    void step(float* params, const float* grads) override {
        const bool decay = config_.weight_decay != 0;
        if (config_.momentum == 0) {
            decay ? update<true, false, false>(params, grads) : update<false, false, false>(params, grads);
        } else if (config_.nesterov) {
            decay ? update<true, true, true>(params, grads) : update<false, true, true>(params, grads);
        } else {
            decay ? update<true, true, false>(params, grads) : update<false, true, false>(params, grads);
        }
        started_ = true;
    }

    void reset() override {
        std::fill(buffer_.begin(), buffer_.end(), 0.0f);
        started_ = false;
    }

private:
    template <bool kDecay, bool kMomentum, bool kNesterov>
    void update(float* __restrict params, const float* __restrict grads) {
        const float wd = static_cast<float>(config_.weight_decay);
        const float momentum = static_cast<float>(config_.momentum);
        const float neg_lr = static_cast<float>(-config_.lr);
        // torch clones d into the buffer on the first step: b = 0 * momentum + d is the same.
        const float carry = started_ ? momentum : 0.0f;
        float* __restrict buf = buffer_.data();
        for (int64_t i = 0; i < count_; ++i) {
            float d = grads[i];
            if constexpr (kDecay) d = d + wd * params[i];
            if constexpr (kMomentum) {
                const float b = buf[i] * carry + d;
                buf[i] = b;
                d = kNesterov ? d + momentum * b : b;
            }
            params[i] = params[i] + neg_lr * d;
        }
    }

    OptimizerConfig config_;
    int64_t count_;
    std::vector<float> buffer_;
    bool started_ = false;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const OptimizerConfig& config, int64_t count) {
    return std::make_unique<Sgd>(config, count);
}

}  // namespace nnc::runtime
