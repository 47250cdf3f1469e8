#include "runtime/cli/report/run_log.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nnc::driver::report {
namespace {

namespace fs = std::filesystem;
// Ordered: per-tensor objects keep the model's parameter order.
using json = nlohmann::ordered_json;

void read_line(const json& j, RunLog& log) {
    if (!j.is_object()) throw metrics::FieldError("expected a JSON object, found " + std::string(j.type_name()));
    const std::string type = metrics::type_of(j);
    if (type == metrics::kEpoch) {
        EpochRow e = metrics::read_epoch(j);
        // After a rollback an epoch may be trained again: its last line is the one that counts.
        auto same =
            std::find_if(log.epochs.begin(), log.epochs.end(), [&](const EpochRow& r) { return r.epoch == e.epoch; });
        if (same != log.epochs.end()) log.epochs.erase(same);
        log.epochs.push_back(std::move(e));
    } else if (type == metrics::kStep) {
        log.steps.push_back(metrics::read_step(j));
    } else if (type == metrics::kDiagnosis) {
        // A later finding of the same code and subject is the run's latest word on it (overfitting
        // named again from a new best epoch, the lr verdict after its divergences): it replaces the earlier.
        metrics::DiagnosisLine d = metrics::read_diagnosis(j);
        log.diagnoses.erase(
            std::remove_if(log.diagnoses.begin(), log.diagnoses.end(),
                           [&](const Diagnosis& e) { return e.code == d.code && e.subject == d.subject; }),
            log.diagnoses.end());
        log.diagnoses.push_back(std::move(d));
    } else if (type == metrics::kRollback) {
        log.rollbacks.push_back(metrics::read_rollback(j));
    }
    // Other lines ("interrupted", "resume", later additions) carry nothing the report draws;
    // their wall_s still counts toward the run time through the epoch lines around them.
}

void read_metrics(const fs::path& path, RunLog& log) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
    std::stringstream all;
    all << in.rdbuf();
    const std::string content = all.str();
    size_t pos = 0;
    int line_no = 0;
    while (pos < content.size()) {
        size_t end = content.find('\n', pos);
        const bool last_unterminated = end == std::string::npos;
        if (last_unterminated) end = content.size();
        const std::string line = content.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = path.string() + ":" + std::to_string(line_no);
        json j;
        try {
            j = json::parse(line);
        } catch (const json::parse_error& e) {
            // A run killed mid-write leaves its last line cut short and without a newline; every
            // line before it is whole (metrics.jsonl is flushed line by line).
            if (last_unterminated) {
                log.warnings.push_back(where +
                                       ": the last line is cut short (a run killed while writing it); left out");
                break;
            }
            const std::string col = e.byte > 0 ? ":" + std::to_string(e.byte) : "";
            std::string what = e.what();
            if (const size_t p = what.find("syntax error"); p != std::string::npos) what = what.substr(p);
            throw std::runtime_error(where + col + ": malformed line (" + what + "); " +
                                     "each line must be one JSON object: fix or delete this line");
        }
        try {
            read_line(j, log);
        } catch (const metrics::FieldError& e) {
            throw std::runtime_error(where + ": " + e.what() + "; fix or delete this line");
        }
    }
    std::sort(log.epochs.begin(), log.epochs.end(),
              [](const EpochRow& a, const EpochRow& b) { return a.epoch < b.epoch; });
}

// One CSV record: commas separate cells; a cell may be "quoted" with "" for a quote.
std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
                cells.back() += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                cells.back() += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.emplace_back();
        } else if (c != '\r') {
            cells.back() += c;
        }
    }
    return cells;
}

Table read_csv(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
    Table t;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto cells = split_csv(line);
        if (t.header.empty()) {
            t.header = std::move(cells);
            continue;
        }
        if (cells.size() != t.header.size())
            throw std::runtime_error(path.string() + ":" + std::to_string(line_no) + ": " +
                                     std::to_string(cells.size()) + " cells where the header has " +
                                     std::to_string(t.header.size()) +
                                     "; fix the line or rerun the command that wrote the file");
        t.rows.push_back(std::move(cells));
    }
    if (t.header.empty()) throw std::runtime_error(path.string() + ": empty file (no header line)");
    return t;
}

// A CSV cell as a number: empty, nan, null read as NaN; anything else must parse.
double cell_number(const Table& t, size_t row, int col, const fs::path& path) {
    if (col < 0) return NAN;
    const std::string& s = t.rows[row][static_cast<size_t>(col)];
    if (s.empty() || s == "nan" || s == "NaN" || s == "null") return NAN;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0')
        throw std::runtime_error(path.string() + ": row " + std::to_string(row + 1) + ", column \"" +
                                 t.header[static_cast<size_t>(col)] + "\": '" + s + "' is not a number");
    return v;
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path.string() + ": malformed JSON (" + e.what() + ")");
    }
}

}  // namespace

int Table::column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

RunLog read_run_log(const std::string& dir) {
    const fs::path d(dir);
    if (!fs::is_directory(d))
        throw std::runtime_error("'" + dir + "' is not a folder; give a run folder (nnc train --out DIR)");
    RunLog log;
    log.dir = dir;
    const fs::path metrics = d / "metrics.jsonl", lr_csv = d / "lr_find.csv", tune_csv = d / "tune.csv";
    if (!fs::exists(metrics) && !fs::exists(lr_csv) && !fs::exists(tune_csv))
        throw std::runtime_error("'" + dir + "' has no metrics.jsonl, lr_find.csv or tune.csv; give the folder of " +
                                 "'nnc train --out', 'nnc lr-find --out' or 'nnc tune --out'");
    if (fs::exists(metrics)) {
        log.has_metrics = true;
        read_metrics(metrics, log);
    }
    if (fs::exists(d / "config.json")) log.config = read_json(d / "config.json");
    if (fs::exists(lr_csv)) {
        const Table t = read_csv(lr_csv);
        const int lr = t.column("lr"), loss = t.column("loss"), smoothed = t.column("smoothed_loss");
        if (lr < 0) throw std::runtime_error(lr_csv.string() + ": no \"lr\" column in the header");
        for (size_t r = 0; r < t.rows.size(); ++r)
            log.lr_find.push_back(
                {cell_number(t, r, lr, lr_csv), cell_number(t, r, loss, lr_csv), cell_number(t, r, smoothed, lr_csv)});
    }
    if (fs::exists(d / "lr_find.json")) log.lr_find_summary = read_json(d / "lr_find.json");
    if (fs::exists(tune_csv)) log.tune = read_csv(tune_csv);
    if (fs::exists(d / "tune.json")) log.tune_summary = read_json(d / "tune.json");
    return log;
}

}  // namespace nnc::driver::report
