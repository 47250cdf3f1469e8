// batch-size, momentum, adam-lr: the field guide's starting points for training settings —
// batches of 16 to 128 (a multiple of 32 on a GPU), sgd momentum 0.9, Adam at lr 3e-4. Only
// values written in the train section are checked; the defaults are these starting points.
#include <cmath>
#include <cstdio>

#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {
namespace {

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

constexpr int64_t kMinBatch = 16, kMaxBatch = 128, kGpuMultiple = 32;
constexpr double kMinMomentum = 0.8, kMaxMomentum = 0.99;
constexpr double kAdamLr = 3e-4, kAdamLrFactor = 10;

}  // namespace

void check_batch_size(Context& ctx, const std::string& rule) {
    const auto at = ctx.setting_span("batch");
    if (!at) return;
    const int64_t b = ctx.model().train.batch;
    if (b < kMinBatch || b > kMaxBatch) {
        ctx.warn(rule, -1, *at, "batch " + std::to_string(b) + " is outside the usual 16 to 128")
            .help(b < kMinBatch ? "small batches give noisy gradients and use the machine poorly; try 32 or 64"
                                : "large batches tend to generalize worse at the same number of epochs; try 64 or 128 "
                                  "(or raise the lr with the batch)");
    } else if (ctx.gpu_target() && b % kGpuMultiple != 0) {
        ctx.warn(
               rule, -1, *at,
               "batch " + std::to_string(b) + " on a GPU target (" + ctx.options().target + ") is not a multiple of 32")
            .help("use " +
                  (b < kGpuMultiple ? std::string() : std::to_string(b / kGpuMultiple * kGpuMultiple) + " or ") +
                  std::to_string((b / kGpuMultiple + 1) * kGpuMultiple) + ": GPUs run threads in warps of 32");
    }
}

void check_momentum(Context& ctx, const std::string& rule) {
    const OptimizerConfig& o = ctx.model().train.optimizer;
    if (o.name != "sgd") return;
    const auto at = ctx.optimizer_arg_span("momentum", 1);
    if (!at || (o.momentum >= kMinMomentum && o.momentum <= kMaxMomentum)) return;
    ctx.warn(rule, -1, *at, "sgd momentum " + number(o.momentum) + " is far from the usual 0.9")
        .help("start from momentum=0.9 (the default)");
}

void check_adam_lr(Context& ctx, const std::string& rule) {
    const OptimizerConfig& o = ctx.model().train.optimizer;
    if (o.name != "adam" && o.name != "adamw") return;
    const auto at = ctx.optimizer_arg_span("lr", 0);
    if (!at) return;
    const double ratio = o.lr / kAdamLr;
    // "More than 10x": exactly 3e-3 or 3e-5 pass (the slack absorbs 3e-3 / 3e-4 = 10.000000000000002).
    if (ratio <= kAdamLrFactor * (1 + 1e-9) && ratio >= 1 / (kAdamLrFactor * (1 + 1e-9))) return;
    const std::string how =
        ratio > 1 ? number(std::round(ratio)) + " times" : "1/" + number(std::round(1 / ratio)) + " of";
    ctx.warn(rule, -1, *at, o.name + " lr " + number(o.lr) + " is " + how + " the usual 3e-4")
        .help(ratio > 1 ? "start from lr=3e-4; a large Adam lr makes the loss oscillate or blow up"
                        : "start from lr=3e-4; a tiny Adam lr makes the loss fall slowly");
}

}  // namespace nnc::dsl::lint
