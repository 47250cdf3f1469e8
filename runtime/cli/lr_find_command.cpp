// nnc lr-find: the learning-rate range test (lr_find.h) on the training split, printed as a text
// plot with a suggestion, and written to DIR/lr_find.csv (step,lr,loss,smoothed_loss) and
// DIR/lr_find.json ({"suggested_lr", "min_loss_lr", "method", "steps", ...}). The model is left
// as it started; nothing else is written but DIR/lock, which keeps a second lr-find or tune out of
// DIR while this one writes there. Never reads a test or validation set.
#include <nnc/train_vocabulary.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "runtime/cli/command_errors.h"
#include "runtime/cli/counted.h"
#include "runtime/cli/lr_find.h"
#include "runtime/cli/run_folder.h"
#include "runtime/cli/run_folder_lock.h"
#include "runtime/cli/session.h"
#include "runtime/cli/tuning_commands.h"

namespace nnc::driver {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string csv_number(double v) {
    if (!std::isfinite(v)) return "nan";
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", v);
    return text;
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write '" + path + "'");
}

// About 25 rows, one per step at even intervals, each with a bar of the smoothed loss.
void print_plot(const LrFindResult& r) {
    const auto& pts = r.points;
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& p : pts) {
        if (!std::isfinite(p.smoothed)) continue;
        lo = std::min(lo, p.smoothed);
        hi = std::max(hi, p.smoothed);
    }
    const size_t every = std::max<size_t>(1, pts.size() / 25);
    size_t suggested = pts.size();
    double nearest = INFINITY;
    for (size_t i = 0; i < pts.size(); ++i) {
        const double d = std::fabs(std::log(pts[i].lr / r.suggested_lr));
        if (d < nearest) nearest = d, suggested = i;
    }
    std::printf("%10s  %10s  %10s  smoothed loss (%.4g .. %.4g)\n", "lr", "loss", "smoothed", lo, hi);
    for (size_t i = 0; i < pts.size(); ++i) {
        if (i % every != 0 && i + 1 != pts.size() && i != suggested) continue;
        const auto& p = pts[i];
        const int width = std::isfinite(p.smoothed) && hi > lo
                              ? static_cast<int>(std::lround(40 * (p.smoothed - lo) / (hi - lo)))
                              : 0;
        std::printf("%10.3g  %10.4g  %10.4g  %s%s%s\n", p.lr, p.loss, p.smoothed,
                    std::string(static_cast<size_t>(width), '#').c_str(),
                    std::isfinite(p.smoothed) ? "|" : "(non-finite)", i == suggested ? "  <- suggested" : "");
    }
}

int lr_find_command(const LrFindOptions& o, const ModelCompiler& compiler) {
    const Session session(o.input.model, compiler, o.input.data);
    const LoadedModel& lib = session.lib();
    const std::string opt_name = o.optimizer.value_or(session.optimizer_name());
    session.set_optimizer(session.optimizer_settings(opt_name));
    const uint64_t seed = o.input.seed.value_or(session.defaults().seed);
    if (o.weights.empty()) {
        session.init(seed);
    } else {
        session.load_weights(o.weights);
    }
    // The training split as nnc train makes it: without the samples its train section holds out.
    const auto train = session.split_training_data(session.held_out(), false).train;
    session.standardize(*train);

    LrFindSettings s;
    s.start = o.start;
    s.end = o.end;
    s.steps = o.steps;
    s.batch = o.batch.value_or(session.defaults().batch);
    s.seed = seed;
    s.threads = o.input.threads;
    const std::string name = session.name();
    const std::string out = o.out.empty() ? RunFolder::default_path(name + "-lr-find") : o.out;
    // Refused before the sweep, not after it: another lr-find or tune is writing there.
    if (const long pid = RunFolderLock::holder(out))
        throw std::runtime_error(RunFolderLock::in_use(out, pid, RunFolderLock::Writer::results));
    std::fprintf(stderr,
                 "lr-find on %s: %s, lr %g .. %g over up to %s of batch %lld from %s (never the "
                 "validation or test samples)\n",
                 name.c_str(), opt_name.c_str(), s.start, s.end, counted(s.steps, "step").c_str(), (long long)s.batch,
                 counted(train->size(), "training sample").c_str());
    LrFindResult r = lr_find(lib, session.model(), train->ptr, s);

    const RunFolderLock lock = RunFolderLock::create_and_take(out, RunFolderLock::Writer::results);
    std::string csv = "step,lr,loss,smoothed_loss\n";
    json points = json::array();
    for (const auto& p : r.points)
        csv += std::to_string(p.step) + "," + csv_number(p.lr) + "," + csv_number(p.loss) + "," +
               csv_number(p.smoothed) + "\n";
    write_text(out + "/lr_find.csv", csv);
    const json summary = {{"suggested_lr", number(r.suggested_lr)},
                          {"min_loss_lr", number(r.min_loss_lr)},
                          {"method", r.method},
                          {"steps", r.points.size()},
                          {"stopped", r.stopped.empty() ? "after the last step" : r.stopped},
                          {"optimizer", opt_name},
                          {"batch", s.batch},
                          {"start", s.start},
                          {"end", s.end},
                          {"beta", s.beta}};
    write_text(out + "/lr_find.json", summary.dump(2) + "\n");

    print_plot(r);
    std::printf("%s; stopped: %s\n", counted(static_cast<int64_t>(r.points.size()), "step").c_str(),
                r.stopped.empty() ? "after the last step" : r.stopped.c_str());
    if (std::isfinite(r.suggested_lr)) {
        std::printf("suggested lr %.3g (%s; the loss was lowest at lr %.3g)\n", r.suggested_lr, r.method.c_str(),
                    r.min_loss_lr);
        std::printf(
            "set lr = %.3g in the train section or pass --lr %.3g (for %s; the model's weights are unchanged)\n",
            r.suggested_lr, r.suggested_lr, opt_name.c_str());
    } else {
        std::printf("no suggestion: %s; try a lower --start or check the data with nnc train --sanity\n",
                    r.method.c_str());
    }
    std::fprintf(stderr, "wrote %s/lr_find.csv and %s/lr_find.json\n", out.c_str(), out.c_str());
    return 0;
}

}  // namespace

CLI::App* add_lr_find_command(CLI::App& app, LrFindOptions& o) {
    CLI::App* c = app.add_subcommand(
        "lr-find",
        "the learning-rate range test (Smith 2017, fastai's lr_find): one training step per lr on an exponential sweep "
        "over "
        "the training split (without the samples the train section holds out for validation), stopping when the "
        "smoothed loss exceeds 4x its minimum or is not finite; suggests an lr and "
        "leaves the model unchanged. Writes DIR/lr_find.csv and DIR/lr_find.json");
    add_tuning_input_options(*c, o.input, DataUse::training_only);
    c->add_option("--start", o.start, "the first step's lr")->capture_default_str()->check(CLI::PositiveNumber);
    c->add_option("--end", o.end, "the last step's lr")->capture_default_str()->check(CLI::PositiveNumber);
    c->add_option("--steps", o.steps, "steps of the sweep (at most; one batch each)")
        ->capture_default_str()
        ->check(CLI::Range(2, 100000));
    c->add_option("--batch", o.batch, "batch size (default: the model's)")->check(CLI::PositiveNumber);
    c->add_option(
         "--optimizer", o.optimizer,
         "the optimizer to sweep (default: the model's; another starts from its defaults in a .nn file's train "
         "section, so sgd has momentum 0.9)")
        ->check(CLI::IsMember(vocab::optimizer_names()));
    c->add_option("--weights", o.weights,
                  "start from these weights (.ckpt or .npz) instead of initializing from the seed");
    c->add_option("--out", o.out, "the folder for lr_find.csv and lr_find.json (default runs/<model>-lr-find-<time>)");
    c->footer(
        "The suggestion is the steepest descent of the loss against log10(lr) before its minimum, on a centered "
        "average of the "
        "raw losses (the beta=0.98 moving average in smoothed_loss lags about 50 steps, which would put its steepest "
        "point too "
        "far right); lr_find.json also gives min_loss_lr (the lr of the lowest loss; min_loss_lr / 10 is the "
        "conservative "
        "choice). Each step trains on a fresh random batch; the optimizer's state carries from step to step.");
    return c;
}

int run_lr_find(const LrFindOptions& o, const ModelCompiler& compiler) {
    return run_reporting_errors("nnc lr-find", 1, [&] { return lr_find_command(o, compiler); });
}

}  // namespace nnc::driver
