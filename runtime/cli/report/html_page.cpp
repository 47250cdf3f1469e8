#include "runtime/cli/report/html_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "runtime/cli/diagnostics/best_epoch.h"

namespace nnc::driver::report {
namespace {

using nlohmann::json;

std::string fixed(double v, int digits) {
    if (!std::isfinite(v)) return "–";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string general(double v) {
    if (!std::isfinite(v)) return "–";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string duration(double s) {
    if (!std::isfinite(s)) return "–";
    char buf[64];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
    else
        std::snprintf(buf, sizeof buf, "%d h %02d min", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
    return buf;
}

// A value of config.json by path ("optimizer", "name"), as text, or "".
std::string config_text(const json& c, std::initializer_list<const char*> path) {
    const json* j = &c;
    for (const char* key : path) {
        if (!j->is_object() || !j->contains(key)) return "";
        j = &(*j)[key];
    }
    if (j->is_string()) return j->get<std::string>();
    if (j->is_number()) return general(j->get<double>());
    return "";
}

const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.subtitle { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { padding: 0.3em 0.8em; text-align: left; border-bottom: 1px solid #eee; }
th { background: #f5f5f5; }
table.summary td:first-child { color: #666; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.winner { background: #e5f5e0; font-weight: bold; }
.wide { max-width: 100%; overflow-x: auto; }
table.tune td, table.tune th { padding: 0.3em 0.5em; }
.diag { border-left: 5px solid #999; padding: 0.5em 0.8em; margin: 0.6em 0; background: #fafafa; }
.diag.warning { border-color: #e6550d; background: #fff5eb; }
.diag.info { border-color: #3182bd; background: #f0f6fc; }
.diag.ok { border-color: #31a354; background: #f2faf0; }
.diag .code { font-family: monospace; color: #666; font-size: 90%; }
.diag .advice { margin-top: 0.3em; }
.diag .advice::before { content: "What to do: "; font-weight: bold; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 92%; margin-top: 0.3em; }
.note { color: #666; font-style: italic; }
)";

// Sets <body data-images-ok="loaded/total"> once the page has loaded, so a headless browser can
// tell that every image decoded, and data-page-width (the page's scroll width: wider than the
// window means something overflows). A few lines of our own; the page needs no script to be read.
const char* kImageCheck = R"(<script>
window.addEventListener('load', function () {
  var images = document.images, ok = 0;
  for (var i = 0; i < images.length; ++i) if (images[i].complete && images[i].naturalWidth > 0) ++ok;
  document.body.setAttribute('data-images-ok', ok + '/' + images.length);
  document.body.setAttribute('data-page-width', document.documentElement.scrollWidth);
});
</script>
)";

void row(std::ostringstream& o, const std::string& key, const std::string& value) {
    if (!value.empty()) o << "<tr><td>" << html_escape(key) << "</td><td>" << html_escape(value) << "</td></tr>\n";
}

// The epoch whose weights best.ckpt holds: as nnc train recorded it in the last epoch line, or for a
// run written before it did, by the same rule (diagnostics/best_epoch.h). Null without validation.
const EpochRow* best_epoch(const RunLog& log) {
    if (log.epochs.empty()) return nullptr;
    int64_t best = log.epochs.back().best_epoch;
    if (best <= 0) {
        std::vector<double> val(static_cast<size_t>(log.epochs.back().epoch), NAN);
        for (const EpochRow& e : log.epochs)
            if (e.epoch > 0 && e.epoch <= static_cast<int64_t>(val.size()))
                val[static_cast<size_t>(e.epoch - 1)] = e.val_loss;
        best = diagnostics::best_epoch_of(val);
    }
    for (const EpochRow& e : log.epochs)
        if (e.epoch == best) return &e;
    return nullptr;
}

void summary(std::ostringstream& o, const RunLog& log) {
    o << "<table class=\"summary\">\n";
    const json& c = log.config;
    std::string model = config_text(c, {"model"});
    if (!model.empty()) model = std::filesystem::path(model).stem().string();
    row(o, "model", model);
    if (!log.epochs.empty()) {
        const EpochRow& last = log.epochs.back();
        row(o, "epochs", std::to_string(last.epoch) + (last.epochs > 0 ? " of " + std::to_string(last.epochs) : ""));
        // One best epoch, the one the diagnoses name too: another metric's best would be another epoch.
        if (const EpochRow* best = best_epoch(log)) {
            std::string at = "validation loss " + fixed(best->val_loss, 4);
            if (std::isfinite(best->val_accuracy)) at += ", accuracy " + fixed(best->val_accuracy * 100, 2) + "%";
            row(o, "best epoch", std::to_string(best->epoch) + " (" + at + "; its weights are in best.ckpt)");
        } else {
            row(o, "final training loss", fixed(last.train_loss, 4));
        }
        row(o, "final lr", general(last.lr));
    }
    double wall = NAN;
    for (const EpochRow& e : log.epochs)
        if (std::isfinite(e.wall_s)) wall = std::isfinite(wall) ? std::max(wall, e.wall_s) : e.wall_s;
    for (const StepRow& s : log.steps)
        if (std::isfinite(s.wall_s)) wall = std::isfinite(wall) ? std::max(wall, s.wall_s) : s.wall_s;
    if (std::isfinite(wall)) row(o, "run time", duration(wall));
    std::string optimizer = config_text(c, {"optimizer", "name"});
    if (!optimizer.empty()) {
        const std::string lr = config_text(c, {"optimizer", "lr"});
        row(o, "optimizer", optimizer + (lr.empty() ? "" : " (lr " + lr + ")"));
    }
    row(o, "batch", config_text(c, {"train", "batch"}));
    if (!log.rollbacks.empty()) row(o, "divergence rollbacks", std::to_string(log.rollbacks.size()));
    o << "</table>\n";
}

int severity_rank(const std::string& s) {
    if (s == "error") return 0;
    if (s == "warning") return 1;
    if (s == "info") return 2;
    if (s == "ok") return 3;
    return 4;
}

std::string severity_heading(const std::string& s, size_t n) {
    const std::string count = " (" + std::to_string(n) + ")";
    if (s == "error") return "Errors" + count;
    if (s == "warning") return "Warnings" + count;
    if (s == "info") return "Notes" + count;
    if (s == "ok") return "Looks right" + count;
    return (s.empty() ? std::string("Other") : s) + count;
}

void diagnoses(std::ostringstream& o, const RunLog& log) {
    o << "<h2 id=\"diagnoses\">Diagnoses</h2>\n";
    if (!log.has_metrics) {
        o << "<p class=\"note\">No metrics.jsonl in this folder: no training run to diagnose.</p>\n";
        return;
    }
    if (log.diagnoses.empty() && log.rollbacks.empty()) {
        o << "<p class=\"note\">metrics.jsonl holds no diagnosis lines (the nnc that wrote this run made none).</p>\n";
    }
    std::vector<std::string> severities;
    for (const Diagnosis& d : log.diagnoses)
        if (std::find(severities.begin(), severities.end(), d.severity) == severities.end())
            severities.push_back(d.severity);
    std::stable_sort(severities.begin(), severities.end(),
                     [](const std::string& a, const std::string& b) { return severity_rank(a) < severity_rank(b); });
    for (const std::string& sev : severities) {
        const size_t n = static_cast<size_t>(std::count_if(log.diagnoses.begin(), log.diagnoses.end(),
                                                           [&](const Diagnosis& d) { return d.severity == sev; }));
        o << "<h3>" << html_escape(severity_heading(sev, n)) << "</h3>\n";
        for (const Diagnosis& d : log.diagnoses) {
            if (d.severity != sev) continue;
            o << "<div class=\"diag " << html_escape(sev) << "\"><div>" << html_escape(d.message);
            o << " <span class=\"code\">[" << html_escape(d.code);
            if (!d.subject.empty()) o << " · " << html_escape(d.subject);
            o << " · " << (d.epoch > 0 ? "epoch " + std::to_string(d.epoch) : std::string("whole run"))
              << "]</span></div>\n";
            if (!d.advice.empty()) o << "<div class=\"advice\">" << html_escape(d.advice) << "</div>\n";
            o << "</div>\n";
        }
    }
    if (!log.rollbacks.empty()) {
        o << "<h3>Divergence rollbacks (" << log.rollbacks.size() << ")</h3>\n"
          << "<p>Each time the loss diverged, training went back to the last good state and continued with a lower "
             "lr.</p>\n"
          << "<table><tr><th>epoch</th><th>step</th><th>reason</th><th>lr</th><th>new lr</th><th>at</th></tr>\n";
        for (const Rollback& r : log.rollbacks)
            o << "<tr><td class=\"num\">" << r.epoch << "</td><td class=\"num\">" << r.step << "</td><td>"
              << html_escape(r.reason) << "</td><td class=\"num\">" << general(r.lr) << "</td><td class=\"num\">"
              << general(r.new_lr) << "</td><td class=\"num\">" << duration(r.wall_s) << "</td></tr>\n";
        o << "</table>\n";
    }
}

void figures(std::ostringstream& o, const std::vector<Plot>& plots, PlotSection section) {
    for (const Plot& p : plots) {
        if (p.section != section) continue;
        o << "<figure><img src=\"" << html_escape(p.file) << "\" width=\"" << p.width << "\" height=\"" << p.height
          << "\" alt=\"" << html_escape(p.title) << "\">\n<figcaption><b>" << html_escape(p.title) << ".</b> "
          << html_escape(p.caption) << "</figcaption></figure>\n";
    }
}

bool any_in(const std::vector<Plot>& plots, PlotSection section) {
    return std::any_of(plots.begin(), plots.end(), [&](const Plot& p) { return p.section == section; });
}

void lr_find(std::ostringstream& o, const RunLog& log, const std::vector<Plot>& plots) {
    if (log.lr_find.empty() && log.lr_find_summary.is_null()) return;
    o << "<h2 id=\"lr-find\">Learning-rate finder</h2>\n";
    const json& s = log.lr_find_summary;
    if (s.is_object()) {
        o << "<table class=\"summary\">\n";
        if (s.contains("suggested_lr") && s["suggested_lr"].is_number())
            row(o, "suggested lr", general(s["suggested_lr"].get<double>()));
        if (s.contains("min_loss_lr") && s["min_loss_lr"].is_number())
            row(o, "lr at the lowest loss", general(s["min_loss_lr"].get<double>()));
        if (s.contains("method") && s["method"].is_string()) row(o, "method", s["method"].get<std::string>());
        if (s.contains("steps") && s["steps"].is_number()) row(o, "steps", general(s["steps"].get<double>()));
        o << "</table>\n";
    }
    figures(o, plots, PlotSection::LrFind);
}

void tune(std::ostringstream& o, const RunLog& log, const std::vector<Plot>& plots) {
    if (!log.tune && log.tune_summary.is_null()) return;
    o << "<h2 id=\"tune\">Hyperparameter search</h2>\n";
    const json& s = log.tune_summary;
    if (s.is_object()) {
        o << "<table class=\"summary\">\n";
        if (s.contains("metric") && s["metric"].is_string()) row(o, "ranked by", s["metric"].get<std::string>());
        if (s.contains("test_loss") && s["test_loss"].is_number())
            row(o, "winner's test loss", fixed(s["test_loss"].get<double>(), 4));
        if (s.contains("test_accuracy") && s["test_accuracy"].is_number())
            row(o, "winner's test accuracy", fixed(s["test_accuracy"].get<double>() * 100, 2) + "%");
        o << "</table>\n";
    }
    figures(o, plots, PlotSection::Tune);
    if (log.tune) {
        const Table& t = *log.tune;
        const int rank = t.column("rank");
        // A grid has a column per hyperparameter: the table scrolls inside the page, never widens it.
        o << "<div class=\"wide\"><table class=\"tune\"><tr>";
        for (const std::string& h : t.header) o << "<th>" << html_escape(h) << "</th>";
        o << "</tr>\n";
        for (const auto& r : t.rows) {
            o << "<tr" << (rank >= 0 && r[static_cast<size_t>(rank)] == "1" ? " class=\"winner\"" : "") << ">";
            for (const std::string& cell : r) o << "<td class=\"num\">" << html_escape(cell) << "</td>";
            o << "</tr>\n";
        }
        o << "</table></div>\n";
    }
}

}  // namespace

std::string html_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string html_page(const RunLog& log, const std::vector<Plot>& plots) {
    std::ostringstream o;
    const std::string name = std::filesystem::path(log.dir).lexically_normal().filename().string();
    const std::string title = "nnc report: " + (name.empty() ? log.dir : name);
    o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
      << "</title>\n"
      << "<style>" << kStyle << "</style>\n"
      << kImageCheck << "</head>\n<body>\n";
    o << "<h1>" << html_escape(title) << "</h1>\n<p class=\"subtitle\">" << html_escape(log.dir) << "</p>\n";
    if (log.has_metrics) summary(o, log);
    for (const std::string& w : log.warnings) o << "<p class=\"note\">" << html_escape(w) << "</p>\n";
    diagnoses(o, log);
    if (any_in(plots, PlotSection::Training)) {
        o << "<h2 id=\"training\">Training curves</h2>\n";
        figures(o, plots, PlotSection::Training);
    }
    if (any_in(plots, PlotSection::Diagnostics)) {
        o << "<h2 id=\"inside\">Inside the network</h2>\n";
        figures(o, plots, PlotSection::Diagnostics);
    }
    lr_find(o, log, plots);
    tune(o, log, plots);
    o << "<p class=\"note\">Written by nnc report from the files in this run folder; the images sit beside this "
         "page.</p>\n";
    o << "</body>\n</html>\n";
    return o.str();
}

}  // namespace nnc::driver::report
