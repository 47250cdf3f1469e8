#include "runtime/cli/report/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "runtime/cli/report/gnuplot.h"

namespace nnc::driver::report {
namespace {

namespace fs = std::filesystem;

// One plot before drawing: its data files (name, content) and its script's body.
struct Spec {
    std::string name;  // file stem: loss, accuracy, ...
    Plot plot;
    std::vector<std::pair<std::string, std::string>> data;
    std::string body;
};

bool finite(double v) { return std::isfinite(v); }

// Numbers for gnuplot: NaN leaves a gap in a line.
std::string num(double v) {
    if (!finite(v)) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

// For log axes: a value that cannot sit on one becomes a gap.
double positive(double v) { return finite(v) && v > 0 ? v : NAN; }

std::string short_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

struct Range {
    double lo = INFINITY, hi = -INFINITY;
    void add(double v) {
        if (finite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    bool empty() const { return lo > hi; }
};

// A log y axis when a positive series spans more than `ratio`.
bool wants_log(const Range& r, double ratio) { return !r.empty() && r.lo > 0 && r.hi / r.lo > ratio; }

// Integer epoch ticks while they fit.
std::string epoch_axis(int64_t last_epoch) {
    std::string s = "set xlabel 'epoch'\n";
    if (last_epoch <= 20) s += "set xtics 1\n";
    s += "set xrange [" + std::to_string(last_epoch > 1 ? 1 : 0) + ":" +
         std::to_string(std::max<int64_t>(last_epoch, 2)) + "]\n";
    return s;
}

const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
// Per-tensor series: ten colours, then dashed and dotted repeats.
std::string series_style(size_t i) {
    return "lc rgb '" + std::string(kColors[i % 10]) + "' dt " + std::to_string(1 + (i / 10) % 3);
}

int64_t last_epoch(const RunLog& log) { return log.epochs.empty() ? 0 : log.epochs.back().epoch; }

// Step lines sit at fractional epochs: epoch - 1 + step / batches per epoch. The batches per
// epoch are not logged; the largest step of a completed epoch estimates them to within one
// logging interval.
std::vector<double> step_positions(const RunLog& log) {
    int64_t per_epoch = 0, max_any = 0, last = 0;
    for (const StepRow& s : log.steps) last = std::max(last, s.epoch);
    for (const StepRow& s : log.steps) {
        max_any = std::max(max_any, s.step);
        if (s.epoch < last) per_epoch = std::max(per_epoch, s.step);
    }
    if (per_epoch == 0) per_epoch = std::max<int64_t>(max_any, 1);
    std::vector<double> x;
    for (const StepRow& s : log.steps)
        x.push_back(static_cast<double>(s.epoch - 1) +
                    std::min(1.0, static_cast<double>(s.step) / static_cast<double>(per_epoch)));
    return x;
}

std::optional<Spec> loss_plot(const RunLog& log) {
    Range r;
    bool train = false, val = false;
    std::ostringstream d;
    for (const EpochRow& e : log.epochs) {
        d << e.epoch << ' ' << num(e.train_loss) << ' ' << num(e.val_loss) << '\n';
        r.add(e.train_loss), r.add(e.val_loss);
        train |= finite(e.train_loss), val |= finite(e.val_loss);
    }
    std::ostringstream st;
    const std::vector<double> xs = step_positions(log);
    bool steps = false;
    for (size_t i = 0; i < log.steps.size(); ++i) {
        st << num(xs[i]) << ' ' << num(log.steps[i].loss) << '\n';
        r.add(log.steps[i].loss);
        steps |= finite(log.steps[i].loss);
    }
    if (!train && !val && !steps) return std::nullopt;
    Spec s{"loss", {}, {{"loss.dat", d.str()}, {"loss_steps.dat", st.str()}}, ""};
    s.plot.title = "Loss";
    s.plot.caption = "Training and validation loss at the end of each epoch";
    if (steps)
        s.plot.caption +=
            "; the thin line is the training loss as logged every few batches (the epoch's running mean so far)";
    s.plot.caption += ". Validation rising while training falls is overfitting.";
    std::string b = epoch_axis(std::max<int64_t>(last_epoch(log), log.steps.empty() ? 0 : log.steps.back().epoch));
    b += "set ylabel 'loss'\nset key top right\n";
    if (wants_log(r, 20)) b += "set logscale y\n";
    std::vector<std::string> parts;
    if (steps)
        parts.push_back(
            "'loss_steps.dat' using 1:2 with lines lw 1 lc rgb '#9ecae1' title 'train (every few batches)'");
    if (train) parts.push_back("'loss.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'train'");
    if (val)
        parts.push_back("'loss.dat' using 1:3 with linespoints lw 2 pt 5 ps 0.8 lc rgb '#d62728' title 'validation'");
    b += "plot ";
    for (size_t i = 0; i < parts.size(); ++i) b += (i ? ", \\\n     " : "") + parts[i];
    s.body = b + "\n";
    return s;
}

std::optional<Spec> accuracy_plot(const RunLog& log) {
    bool train = false, val = false;
    std::ostringstream d;
    for (const EpochRow& e : log.epochs) {
        d << e.epoch << ' ' << num(e.train_accuracy * 100) << ' ' << num(e.val_accuracy * 100) << '\n';
        train |= finite(e.train_accuracy), val |= finite(e.val_accuracy);
    }
    if (!train && !val) return std::nullopt;
    Spec s{"accuracy", {}, {{"accuracy.dat", d.str()}}, ""};
    s.plot.title = "Accuracy";
    s.plot.caption = "Share of samples classified correctly, per epoch.";
    std::string b = epoch_axis(last_epoch(log)) + "set ylabel 'accuracy (%)'\nset key bottom right\n";
    b += "plot ";
    if (train) b += "'accuracy.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#1f77b4' title 'train'";
    if (val)
        b += std::string(train ? ", \\\n     " : "") +
             "'accuracy.dat' using 1:3 with linespoints lw 2 pt 5 ps 0.8 lc rgb '#d62728' title 'validation'";
    s.body = b + "\n";
    return s;
}

std::optional<Spec> lr_plot(const RunLog& log) {
    Range r;
    std::ostringstream d, st;
    for (const EpochRow& e : log.epochs) d << e.epoch << ' ' << num(positive(e.lr)) << '\n', r.add(positive(e.lr));
    const std::vector<double> xs = step_positions(log);
    bool steps = false;
    for (size_t i = 0; i < log.steps.size(); ++i) {
        st << num(xs[i]) << ' ' << num(positive(log.steps[i].lr)) << '\n';
        r.add(positive(log.steps[i].lr));
        steps |= finite(positive(log.steps[i].lr));
    }
    if (r.empty()) return std::nullopt;
    Spec s{"lr", {}, {{"lr.dat", d.str()}, {"lr_steps.dat", st.str()}}, ""};
    s.plot.title = "Learning rate";
    s.plot.height = 320;  // often a flat line: less room
    s.plot.caption = "The learning rate of each epoch's last update (schedules and warm-up applied)";
    s.plot.caption += log.rollbacks.empty() ? "." : "; red lines mark divergence rollbacks, each lowering the lr.";
    std::string b = epoch_axis(std::max<int64_t>(last_epoch(log), log.steps.empty() ? 0 : log.steps.back().epoch));
    b += "set ylabel 'learning rate'\nset key top right\n";
    if (wants_log(r, 10))
        b += "set logscale y\n";
    else if (r.hi == r.lo)
        b += "set yrange [" + num(r.lo * 0.5) + ":" + num(r.hi * 1.5) + "]\n";
    int n = 0;
    for (const Rollback& rb : log.rollbacks)
        b += "set arrow " + std::to_string(++n) + " from " + num(static_cast<double>(rb.epoch) - 0.5) +
             ", graph 0 to " + num(static_cast<double>(rb.epoch) - 0.5) +
             ", graph 1 nohead lc rgb '#d62728' lw 1.5 dt 2\n";
    b += "plot 'lr.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#2ca02c' title 'per epoch'";
    if (steps) b += ", \\\n     'lr_steps.dat' using 1:2 with lines lw 1 lc rgb '#98df8a' title 'every few batches'";
    s.body = b + "\n";
    return s;
}

// Per-tensor series of the epoch lines, in the model's parameter order.
struct TensorSeries {
    std::vector<std::string> names;
    std::string data;  // epoch, then one column per name
    Range range;
};

TensorSeries tensor_series(const RunLog& log, const std::vector<std::pair<std::string, double>> EpochRow::*member) {
    TensorSeries t;
    for (const EpochRow& e : log.epochs)
        for (const auto& [name, v] : e.*member)
            if (std::find(t.names.begin(), t.names.end(), name) == t.names.end()) t.names.push_back(name);
    std::ostringstream d;
    for (const EpochRow& e : log.epochs) {
        d << e.epoch;
        for (const std::string& name : t.names) {
            double v = NAN;
            for (const auto& [n, x] : e.*member)
                if (n == name) v = positive(x);
            t.range.add(v);
            d << ' ' << num(v);
        }
        d << '\n';
    }
    t.data = d.str();
    return t;
}

// The key beside the plot; taller images for many tensors.
int tensor_plot_height(size_t n) { return std::max<int>(480, 60 + 18 * static_cast<int>(n)); }

std::string tensor_lines(const std::string& file, const TensorSeries& t) {
    std::string p;
    for (size_t i = 0; i < t.names.size(); ++i)
        p += std::string(i ? ", \\\n     " : "") + "'" + file + "' using 1:" + std::to_string(i + 2) +
             " with linespoints lw 1.5 pt 7 ps 0.5 " + series_style(i) + " title " + gnuplot_quote(t.names[i]);
    return p;
}

// The log-axis range: the data and `must_show`, padded by a factor of two.
std::string log_yrange(Range r, double must_lo, double must_hi) {
    r.add(must_lo), r.add(must_hi);
    return "set yrange [" + num(r.lo / 2) + ":" + num(r.hi * 2) + "]\n";
}

std::optional<Spec> update_ratio_plot(const RunLog& log) {
    const TensorSeries t = tensor_series(log, &EpochRow::update_ratios);
    if (t.names.empty() || t.range.empty()) return std::nullopt;
    Spec s{"update_ratios", {}, {{"update_ratios.dat", t.data}}, ""};
    s.plot.section = PlotSection::Diagnostics;
    s.plot.title = "Update ratio per parameter tensor";
    s.plot.caption =
        "||Δw|| / ||w|| of each tensor at the epoch's last update. The shaded band, 1e-4 to 1e-2, is where "
        "healthy training usually sits (about 1e-3); far above, that tensor's lr is too high; far below, it barely "
        "learns.";
    s.plot.height = tensor_plot_height(t.names.size());
    std::string b =
        epoch_axis(last_epoch(log)) + "set ylabel 'update / weight (L2)'\nset logscale y\nset format y '%.0e'\n";
    b += log_yrange(t.range, 1e-4, 1e-2);
    b += "set object 1 rect from graph 0, first 1e-4 to graph 1, first 1e-2 fc rgb '#d9f0d3' fs solid 0.7 noborder "
         "behind\n";
    b += "set key outside right top\n";
    b += "plot " + tensor_lines("update_ratios.dat", t) + "\n";
    s.body = b;
    return s;
}

std::optional<Spec> grad_norm_plot(const RunLog& log) {
    const TensorSeries t = tensor_series(log, &EpochRow::grad_norms);
    std::ostringstream g;
    Range global;
    for (const EpochRow& e : log.epochs)
        g << e.epoch << ' ' << num(positive(e.grad_norm)) << '\n', global.add(positive(e.grad_norm));
    if (t.range.empty() && global.empty()) return std::nullopt;
    Spec s{"grad_norms", {}, {{"grad_norms.dat", t.data}, {"grad_norm.dat", g.str()}}, ""};
    s.plot.section = PlotSection::Diagnostics;
    s.plot.title = t.names.empty() ? "Gradient norm" : "Gradient norm per parameter tensor";
    s.plot.caption = "Mean L2 norm of the gradient per update, before clipping";
    s.plot.caption += t.names.empty() ? " (all parameters together)."
                                      : "; the black dashed line is all parameters together. "
                                        "Norms that shrink layer by layer toward the input point at vanishing "
                                        "gradients; sudden growth at exploding ones.";
    s.plot.height = tensor_plot_height(t.names.size() + 1);
    Range r = t.range;
    r.add(global.lo), r.add(global.hi);
    std::string b =
        epoch_axis(last_epoch(log)) + "set ylabel 'gradient L2 norm'\nset logscale y\nset format y '%.0e'\n";
    b += log_yrange(r, NAN, NAN);
    b += "set key outside right top\nplot ";
    if (!t.range.empty()) b += tensor_lines("grad_norms.dat", t);
    if (!global.empty())
        b += std::string(t.range.empty() ? "" : ", \\\n     ") +
             "'grad_norm.dat' using 1:2 with linespoints lw 2.5 pt 7 ps 0.6 lc rgb 'black' dt 2 title 'all (global)'";
    s.body = b + "\n";
    return s;
}

std::optional<Spec> confidence_plot(const RunLog& log) {
    std::ostringstream d;
    double peak = 0;
    bool any = false;
    for (const EpochRow& e : log.epochs) {
        if (!e.probe || e.probe->top_prob_hist.empty()) continue;
        const std::vector<double>& h = e.probe->top_prob_hist;
        double total = 0;
        for (double c : h) total += c;
        if (total <= 0) continue;
        const double width = 1.0 / static_cast<double>(h.size());
        for (size_t i = 0; i < h.size(); ++i) {
            const double share = h[i] / total;
            peak = std::max(peak, share);
            d << e.epoch << ' ' << num((static_cast<double>(i) + 0.5) * width) << ' ' << num(width / 2) << ' '
              << num(share) << '\n';
        }
        any = true;
    }
    if (!any) return std::nullopt;
    Spec s{"confidence", {}, {{"confidence.dat", d.str()}}, ""};
    s.plot.section = PlotSection::Diagnostics;
    s.plot.title = "Softmax confidence per epoch";
    s.plot.caption =
        "Each column is one epoch's histogram of the top softmax probability over a fixed probe batch (darker: more "
        "samples). A healthy classifier's mass moves up toward 1 as it trains; mass stuck near 1/C means it is not "
        "sharpening.";
    std::string b = epoch_axis(last_epoch(log));
    b += "set xrange [" + num(static_cast<double>(log.epochs.front().epoch) - 0.5) + ":" +
         num(static_cast<double>(last_epoch(log)) + 0.5) + "]\n";
    b += "set ylabel 'top softmax probability'\nset yrange [0:1]\nset cblabel 'share of probe'\nset cbrange [0:" +
         num(std::max(peak, 0.01)) + "]\n";
    b += "set palette defined (0 '#ffffff', 0.3 '#9ecae1', 1 '#08306b')\nunset grid\n";
    b += "plot 'confidence.dat' using 1:2:(0.5):3:4 with boxxyerror fs solid 1.0 noborder fc palette notitle\n";
    s.body = b;
    return s;
}

std::optional<Spec> entropy_plot(const RunLog& log) {
    std::ostringstream d;
    bool any = false;
    double max_entropy = NAN;
    for (const EpochRow& e : log.epochs) {
        if (!e.probe) continue;
        d << e.epoch << ' ' << num(e.probe->entropy) << ' ' << num(e.probe->mean_top_prob) << ' '
          << num(e.probe->majority_fraction) << '\n';
        any |= finite(e.probe->entropy) || finite(e.probe->mean_top_prob);
        if (finite(e.probe->max_entropy)) max_entropy = e.probe->max_entropy;
    }
    if (!any) return std::nullopt;
    Spec s{"entropy", {}, {{"entropy.dat", d.str()}}, ""};
    s.plot.section = PlotSection::Diagnostics;
    s.plot.title = "Prediction entropy and confidence";
    s.plot.caption =
        "Mean entropy of the probe's softmax (left axis, nats; dashed: ln C, a uniform guess), and on the right "
        "the mean top probability and the share of the probe given the most predicted class (near 1: class collapse).";
    std::string b = epoch_axis(last_epoch(log));
    b += "set ylabel 'entropy (nats)'\nset y2label 'probability / share'\nset y2range [0:1]\nset y2tics\nset ytics "
         "nomirror\n";
    b += "set key outside top center horizontal\n";
    if (finite(max_entropy)) b += "set yrange [0:" + num(max_entropy * 1.1) + "]\n";
    b += "plot 'entropy.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#9467bd' title 'entropy'";
    if (finite(max_entropy))
        b += ", \\\n     " + num(max_entropy) +
             " with lines lc rgb '#9467bd' dt 2 title 'ln C = " + short_number(max_entropy) + "'";
    b += ", \\\n     'entropy.dat' using 1:3 axes x1y2 with linespoints lw 1.5 pt 5 ps 0.6 lc rgb '#ff7f0e' title "
         "'mean top probability'";
    b += ", \\\n     'entropy.dat' using 1:4 axes x1y2 with linespoints lw 1.5 pt 9 ps 0.6 lc rgb '#7f7f7f' title "
         "'majority-class share'";
    s.body = b + "\n";
    return s;
}

double summary_number(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return NAN;
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::optional<Spec> lr_find_plot(const RunLog& log) {
    std::ostringstream d;
    Range x, y;
    double first = NAN;
    for (const LrFindRow& r : log.lr_find) {
        const double lr = positive(r.lr);
        d << num(lr) << ' ' << num(r.loss) << ' ' << num(r.smoothed_loss) << '\n';
        if (!finite(lr)) continue;
        x.add(lr), y.add(r.loss), y.add(r.smoothed_loss);
        if (!finite(first)) first = finite(r.smoothed_loss) ? r.smoothed_loss : r.loss;
    }
    if (x.empty() || y.empty()) return std::nullopt;
    Spec s{"lr_find", {}, {{"lr_find.dat", d.str()}}, ""};
    s.plot.section = PlotSection::LrFind;
    s.plot.title = "Learning-rate range test";
    s.plot.caption =
        "Loss while the lr grows exponentially, one batch per step (nnc lr-find). Pick an lr where the smoothed "
        "loss still falls steeply, well before its minimum";
    const double suggested = summary_number(log.lr_find_summary, "suggested_lr");
    const double min_loss = summary_number(log.lr_find_summary, "min_loss_lr");
    s.plot.caption += finite(suggested) ? "; the green line marks the suggested lr." : ".";
    std::string b =
        "set xlabel 'learning rate'\nset logscale x\nset format x '%.0e'\nset ylabel 'loss'\nset key top left\n";
    // The loss explodes at the end of the sweep: keep the interesting part in view.
    const double top = finite(first) && first > 0 ? std::min(y.hi, first * 2.5) : y.hi;
    const double pad = (top - y.lo) * 0.05 + 1e-12;
    b += "set yrange [" + num(y.lo - pad) + ":" + num(top + pad) + "]\n";
    if (finite(suggested) && suggested > 0) {
        b += "set arrow 1 from " + num(suggested) + ", graph 0 to " + num(suggested) +
             ", graph 1 nohead lc rgb '#2ca02c' lw 2\n";
        b += "set label 1 " + gnuplot_quote(" suggested " + short_number(suggested)) + " at " + num(suggested) +
             ", graph 0.95 left tc rgb '#2ca02c'\n";
    }
    if (finite(min_loss) && min_loss > 0) {
        b += "set arrow 2 from " + num(min_loss) + ", graph 0 to " + num(min_loss) +
             ", graph 1 nohead lc rgb '#7f7f7f' lw 1 dt 3\n";
        b += "set label 2 " + gnuplot_quote(" min loss " + short_number(min_loss)) + " at " + num(min_loss) +
             ", graph 0.88 left tc rgb '#7f7f7f'\n";
    }
    b += "plot 'lr_find.dat' using 1:2 with lines lw 1 lc rgb '#c6dbef' title 'loss', \\\n"
         "     'lr_find.dat' using 1:3 with lines lw 2.5 lc rgb '#08519c' title 'smoothed loss'\n";
    s.body = b;
    return s;
}

std::optional<Spec> tune_plot(const RunLog& log) {
    if (!log.tune) return std::nullopt;
    const Table& t = *log.tune;
    const int lr = t.column("lr"), val = t.column("val_loss"), rank = t.column("rank");
    if (lr < 0 || val < 0) return std::nullopt;
    std::ostringstream all, best;
    int points = 0;
    for (const auto& row : t.rows) {
        const double x = positive(std::strtod(row[static_cast<size_t>(lr)].c_str(), nullptr));
        const double y = std::strtod(row[static_cast<size_t>(val)].c_str(), nullptr);
        if (!finite(x) || !finite(y)) continue;
        ++points;
        (rank >= 0 && row[static_cast<size_t>(rank)] == "1" ? best : all) << num(x) << ' ' << num(y) << '\n';
    }
    if (points < 2) return std::nullopt;
    Spec s{"tune", {}, {{"tune.dat", all.str()}, {"tune_best.dat", best.str()}}, ""};
    s.plot.section = PlotSection::Tune;
    s.plot.title = "Tuning trials";
    s.plot.caption = "Validation loss of each trial against its learning rate; the winner is the large green point.";
    std::string b =
        "set xlabel 'learning rate'\nset logscale x\nset format x '%.0e'\nset ylabel 'validation loss'\nset key top "
        "right\n";
    b += "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n";
    b += "plot 'tune.dat' using 1:2 with points pt 7 ps 1.2 lc rgb '#1f77b4' title 'trial'";
    if (!best.str().empty())
        b += ", \\\n     'tune_best.dat' using 1:2 with points pt 7 ps 2.5 lc rgb '#2ca02c' title 'winner'";
    s.body = b + "\n";
    return s;
}

std::string terminal(const std::string& format, int width, int height) {
    const std::string size = " size " + std::to_string(width) + "," + std::to_string(height);
    // noenhanced: tensor names like fc1_w must not turn into subscripts.
    if (format == "svg") return "set terminal svg" + size + " font 'DejaVu Sans,12' noenhanced background '#ffffff'\n";
    return "set terminal pngcairo" + size + " font 'DejaVu Sans,10' noenhanced\n";
}

}  // namespace

std::vector<Plot> draw_plots(const RunLog& log, const std::string& out_dir, const std::string& format) {
    if (format != "png" && format != "svg")
        throw std::runtime_error("unknown image format '" + format + "'; use png or svg");
    std::vector<std::optional<Spec>> specs = {loss_plot(log),         accuracy_plot(log),  lr_plot(log),
                                              update_ratio_plot(log), grad_norm_plot(log), confidence_plot(log),
                                              entropy_plot(log),      lr_find_plot(log),   tune_plot(log)};
    const fs::path work = fs::path(out_dir) / ".gnuplot";
    fs::create_directories(work);
    std::vector<Plot> plots;
    for (auto& spec : specs) {
        if (!spec) continue;
        Spec& s = *spec;
        // Past a few dozen epochs the point markers only blur the lines.
        if (s.plot.section != PlotSection::LrFind && s.plot.section != PlotSection::Tune && last_epoch(log) > 40)
            for (size_t at; (at = s.body.find(" with linespoints")) != std::string::npos;)
                s.body.replace(at, 17, " with lines");
        s.plot.file = s.name + "." + format;
        s.plot.width = 960;
        if (s.plot.height == 0) s.plot.height = 480;
        for (const auto& [name, content] : s.data) std::ofstream(work / name) << content;
        // The script names only files nnc chose, relative to the scratch folder it runs in.
        const std::string script_name = s.name + ".gp";
        std::ofstream(work / script_name)
            << terminal(format, s.plot.width, s.plot.height) << "set output '../" << s.plot.file << "'\n"
            << "set grid lc rgb '#e0e0e0'\nset border 3\nset tics nomirror\n"
            << s.body << "unset output\n";
        run_gnuplot(work.string(), script_name);
        if (!fs::exists(fs::path(out_dir) / s.plot.file) || fs::file_size(fs::path(out_dir) / s.plot.file) == 0)
            throw std::runtime_error("gnuplot wrote no " + s.plot.file +
                                     " (an nnc bug; please report it with the run folder)");
        plots.push_back(s.plot);
    }
    fs::remove_all(work);
    return plots;
}

}  // namespace nnc::driver::report
