#include "runtime/cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace nnc::driver {

ProgressBar::ProgressBar(std::FILE* out) : out_(out), interactive_(isatty(fileno(out)) != 0) {}

void ProgressBar::update(const nnc_progress& p) {
    if (!interactive_) return;
    const bool last = p.samples_done >= p.samples_total;
    if (!last && p.elapsed_seconds - last_draw_ < 0.1) return;
    last_draw_ = p.elapsed_seconds;
    const int width = 30;
    const double frac = p.samples_total > 0 ? double(p.samples_done) / double(p.samples_total) : 1.0;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < width) bar += '>';
    bar.resize(width, ' ');
    const double eta = p.samples_per_second > 0 ? double(p.samples_total - p.samples_done) / p.samples_per_second : 0;
    std::fprintf(out_, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  %.0f samples/s  ETA %.0fs  loss %.4f",
                 (long long)p.epoch, (long long)p.epochs, bar.c_str(), (long long)p.samples_done,
                 (long long)p.samples_total, p.samples_per_second, eta, p.loss);
    if (!std::isnan(p.accuracy)) std::fprintf(out_, "  acc %.4f", p.accuracy);
    std::fflush(out_);
}

namespace {

// " (classify 0.9120, regress 0.6034)" for a model of several losses, else "".
std::string task_losses(const double* values, int count, const std::vector<std::string>& names) {
    if (count < 2 || names.size() != static_cast<size_t>(count)) return "";
    std::string out = " (";
    char value[32];
    for (int l = 0; l < count; ++l) {
        std::snprintf(value, sizeof value, "%.4f", values[l]);
        out += (l ? ", " : "") + names[static_cast<size_t>(l)] + " " + value;
    }
    return out + ")";
}

}  // namespace

void ProgressBar::epoch_done(const nnc_epoch_stats& s, const std::vector<std::string>& loss_names) {
    if (interactive_) std::fprintf(out_, "\r\033[K");
    const int tasks = std::min(s.num_losses, NNC_MAX_LOSSES);
    std::fprintf(out_, "epoch %lld/%lld  train loss %.4f%s", (long long)s.epoch, (long long)s.epochs, s.train_loss,
                 task_losses(s.train_task_loss, tasks, loss_names).c_str());
    if (!std::isnan(s.train_accuracy)) std::fprintf(out_, "  train acc %.4f", s.train_accuracy);
    if (!std::isnan(s.val_loss))
        std::fprintf(out_, "  val loss %.4f%s", s.val_loss, task_losses(s.val_task_loss, tasks, loss_names).c_str());
    if (!std::isnan(s.val_accuracy)) std::fprintf(out_, "  val acc %.4f", s.val_accuracy);
    std::fprintf(out_, "  %.0f samples/s  %.1fs  lr %.3g  grad norm %.3g\n", s.samples_per_second, s.seconds, s.lr,
                 s.grad_norm);
    std::fflush(out_);
    last_draw_ = -1;
}

}  // namespace nnc::driver
