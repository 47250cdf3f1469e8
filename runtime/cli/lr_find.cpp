// The sweep drives the model through the C ABI only. Each step is one nnc_train call of one
// epoch stopped after its first batch: the loop then gathers, standardizes and augments nothing
// differently from a real run, and a new shuffle seed per step gives a fresh random batch.
//
// nnc_model_set_optimizer installs a fresh optimizer (its state reset), so changing the lr alone
// would restart Adam's moments or SGD's momentum at every step. For a stateful optimizer the state
// is carried through a scratch checkpoint instead: save after the step, set the next lr, load (a
// checkpoint restores the optimizer state into an optimizer of the same kind and settings; the lr
// is not part of the state). The scratch files go to /dev/shm where there is one.
#include "runtime/cli/lr_find.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace nnc::driver {
namespace {

namespace fs = std::filesystem;

fs::path scratch_folder() {
    static int counter = 0;
    std::error_code ec;
    const fs::path base = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                              ? fs::path("/dev/shm")
                              : fs::temp_directory_path();
    const fs::path dir = base / ("nnc-lr-find-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::create_directories(dir);
    return dir;
}

struct FirstBatch {
    double loss = NAN;
    static int on_batch(void* user, const nnc_progress* p) {
        static_cast<FirstBatch*>(user)->loss = p->loss;  // one batch done: its loss before the update
        return 1;
    }
};

}  // namespace

LrFindResult lr_find(const LoadedModel& lib, nnc_model* model, const nnc_dataset* train, const LrFindSettings& s) {
    if (!(s.start > 0 && s.end > s.start && std::isfinite(s.end)))
        throw std::runtime_error("the sweep needs 0 < --start < --end, got " + std::to_string(s.start) + " and " +
                                 std::to_string(s.end));
    if (s.steps < 2) throw std::runtime_error("--steps must be at least 2");
    if (s.batch < 1) throw std::runtime_error("--batch must be at least 1");

    nnc_optimizer_config original{};
    lib.check(lib.nnc_model_get_optimizer(model, &original), "reading the optimizer");
    const std::string name = original.name ? original.name : "sgd";  // the pointer dies with the optimizer
    original.name = name.c_str();
    const bool stateful = !(name == "sgd" && original.momentum == 0);
    if (stateful) {
        // Each step then allocates and frees checkpoint-sized buffers; kept in the heap instead of
        // fresh mmaps they cost no page faults (4x faster on a VM). Process-wide, and harmless.
        mallopt(M_MMAP_THRESHOLD, 1 << 30);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }

    const fs::path dir = scratch_folder();
    const std::string initial = (dir / "initial.ckpt").string(), carried = (dir / "step.ckpt").string();
    // Puts the model back on every way out: its optimizer first, so the checkpoint's state loads into it.
    struct Restore {
        const LoadedModel& lib;
        nnc_model* model;
        const nnc_optimizer_config& optimizer;
        const std::string& checkpoint;
        fs::path dir;
        bool armed = false;
        void now() {
            if (!armed) return;
            armed = false;
            lib.check(lib.nnc_model_set_optimizer(model, &optimizer), "restoring the optimizer");
            lib.check(lib.nnc_model_load(model, checkpoint.c_str()), "restoring the model's weights");
        }
        ~Restore() {
            try {
                now();
            } catch (...) {}
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } restore{lib, model, original, initial, dir};
    lib.check(lib.nnc_model_save(model, initial.c_str()), "saving the model before the sweep");
    restore.armed = true;

    LrFindResult result;
    double average = 0, best = INFINITY;
    const double ratio = std::log(s.end / s.start);
    for (int64_t k = 0; k < s.steps; ++k) {
        nnc_optimizer_config opt = original;
        opt.lr = s.start * std::exp(ratio * static_cast<double>(k) / static_cast<double>(s.steps - 1));
        lib.check(lib.nnc_model_set_optimizer(model, &opt), "setting lr " + std::to_string(opt.lr));
        if (stateful && k > 0) lib.check(lib.nnc_model_load(model, carried.c_str()), "carrying the optimizer state");

        nnc_train_config config{};
        config.epochs = 1;
        config.batch = s.batch;
        config.seed = s.seed + static_cast<uint64_t>(k);
        config.threads = s.threads;
        FirstBatch first;
        config.on_batch = &FirstBatch::on_batch;
        config.user = &first;
        const nnc_status status = lib.nnc_train(model, train, nullptr, &config);
        if (status != NNC_OK && status != NNC_ERR_NUMERIC)
            lib.check(status, "training at lr " + std::to_string(opt.lr));

        LrFindPoint p;
        p.step = k + 1;
        p.lr = opt.lr;
        p.loss = status == NNC_OK && std::isfinite(first.loss) ? first.loss : NAN;
        average = s.beta * average + (1 - s.beta) * p.loss;
        p.smoothed = average / (1 - std::pow(s.beta, static_cast<double>(k + 1)));
        result.points.push_back(p);
        if (!std::isfinite(p.smoothed)) {
            result.stopped = "the loss became non-finite";
            break;
        }
        best = std::min(best, p.smoothed);
        if (k > 0 && p.smoothed > s.stop_factor * best) {
            char text[96];
            std::snprintf(text, sizeof text, "the smoothed loss exceeded %gx its minimum", s.stop_factor);
            result.stopped = text;
            break;
        }
        if (stateful) lib.check(lib.nnc_model_save(model, carried.c_str()), "carrying the optimizer state");
    }
    restore.now();
    suggest_lr(result);
    return result;
}

// The exponential moving average (beta 0.98: a memory of ~50 steps, two decades of lr at the
// default 200 steps over 1e-7..10) lags the curve, so its steepest point falls near or past the
// loss's minimum: too high an lr. The suggestion is taken from a centered average (no lag) of
// the raw losses instead, over +-0.2 decades: the steepest descent against log lr before the
// minimum, the largest lr at which the loss still falls fastest. min_loss_lr / 10 is the common
// conservative alternative; both are reported.
void suggest_lr(LrFindResult& r) {
    const auto& pts = r.points;
    size_t m = 0;  // the finite prefix
    while (m < pts.size() && std::isfinite(pts[m].loss)) ++m;
    r.suggested_lr = r.min_loss_lr = NAN;
    r.method = "no suggestion: fewer than 5 finite losses";
    if (m < 5) return;
    const double decades_per_step = std::log10(pts[1].lr / pts[0].lr);
    const size_t h = std::max<size_t>(2, static_cast<size_t>(std::lround(0.2 / decades_per_step)));
    std::vector<double> centered(m);
    for (size_t i = 0; i < m; ++i) {
        const size_t a = i >= h ? i - h : 0, b = std::min(m - 1, i + h);
        double sum = 0;
        for (size_t j = a; j <= b; ++j) sum += pts[j].loss;
        centered[i] = sum / static_cast<double>(b - a + 1);
    }
    const size_t imin = static_cast<size_t>(std::min_element(centered.begin(), centered.end()) - centered.begin());
    r.min_loss_lr = pts[imin].lr;
    double steepest = 0;
    size_t at = m;
    for (size_t i = 1; i <= imin; ++i) {
        const size_t a = i >= h ? i - h : 0, b = std::min(m - 1, i + h);
        const double slope = (centered[b] - centered[a]) / std::log10(pts[b].lr / pts[a].lr);
        if (slope < steepest) {
            steepest = slope;
            at = i;
        }
    }
    char text[200];
    if (at == m) {
        r.suggested_lr = r.min_loss_lr / 10;
        std::snprintf(text, sizeof text, "min_loss_lr / 10 (the loss never fell: no steepest descent)");
    } else {
        r.suggested_lr = pts[at].lr;
        std::snprintf(
            text, sizeof text,
            "steepest descent of the loss against log10(lr) before its minimum (centered average over +-%zu steps; "
            "%.3g per decade there)",
            h, steepest);
    }
    r.method = text;
}

}  // namespace nnc::driver
