// nnc report RUN_DIR: the run's curves, per-tensor statistics, confidence probe, diagnoses,
// lr-find and tune results as one HTML page with images beside it (RUN_DIR/report/index.html).
//
// The report is built in a hidden sibling folder and swapped in only when complete, so a report
// that fails half-way leaves the previous one (or none), never half a page.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "runtime/cli/counted.h"
#include "runtime/cli/report/html_page.h"
#include "runtime/cli/report/plots.h"
#include "runtime/cli/report/run_log.h"
#include "runtime/cli/report_command.h"

namespace nnc::driver {
namespace {

namespace fs = std::filesystem;

// Replaces `target` (absent, or a previous report) with the finished folder `built`. An existing
// report is exchanged in one step (renameat2 RENAME_EXCHANGE); where the file system cannot, it
// is moved aside first.
void publish(const fs::path& built, const fs::path& target) {
    if (!fs::exists(target)) {
        fs::rename(built, target);
        return;
    }
    if (renameat2(AT_FDCWD, built.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(built);  // now the old report
        return;
    }
    const fs::path old = target.string() + ".old";
    fs::remove_all(old);
    fs::rename(target, old);
    fs::rename(built, target);
    fs::remove_all(old);
}

// A folder only nnc report made may be replaced: refuse to swap away anything else.
void check_replaceable(const fs::path& target) {
    if (!fs::exists(target)) return;
    if (!fs::is_directory(target))
        throw std::runtime_error("'" + target.string() + "' exists and is not a folder; choose another --out");
    if (!fs::is_empty(target) && !fs::exists(target / "index.html"))
        throw std::runtime_error("'" + target.string() +
                                 "' exists and is not a report (no index.html); choose another --out");
}

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportOptions& o) {
    CLI::App* rp = app.add_subcommand("report",
                                      "draw a run folder's curves and diagnoses (and lr-find/tune results) as one "
                                      "HTML page with images: RUN_DIR/report/index.html (needs gnuplot)");
    rp->add_option("run", o.run_dir, "the run folder (nnc train --out, nnc lr-find --out, nnc tune --out)")->required();
    rp->add_option("--format", o.format, "image format: png (default) or svg")->check(CLI::IsMember({"png", "svg"}));
    rp->add_option("--out", o.out,
                   "the report folder to write (default RUN_DIR/report; replaced when it holds a report)");
    return rp;
}

int run_report(const ReportOptions& options) {
    fs::path building;
    try {
        const report::RunLog log = report::read_run_log(options.run_dir);
        for (const std::string& w : log.warnings) std::fprintf(stderr, "nnc: warning: %s\n", w.c_str());
        const fs::path target =
            fs::absolute(options.out.empty() ? fs::path(options.run_dir) / "report" : fs::path(options.out))
                .lexically_normal();
        const fs::path parent = target.parent_path();
        check_replaceable(target);
        fs::create_directories(parent);
        std::string pattern = (parent / ("." + target.filename().string() + "-XXXXXX")).string();
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a folder in '" + parent.string() + "': " + std::strerror(errno));
        building = pattern;
        const std::vector<report::Plot> plots = report::draw_plots(log, building.string(), options.format);
        {
            std::ofstream page(building / "index.html", std::ios::binary);
            page << report::html_page(log, plots);
            page.close();
            if (!page) throw std::runtime_error("cannot write " + (building / "index.html").string());
        }
        fs::permissions(building, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
        publish(building, target);
        building.clear();
        std::fprintf(stderr, "nnc report: wrote %s (%s, %s)\n", (target / "index.html").c_str(),
                     counted(static_cast<int64_t>(plots.size()), "plot").c_str(),
                     counted(static_cast<int64_t>(log.diagnoses.size()), "diagnosis", "diagnoses").c_str());
        return 0;
    } catch (const std::exception& e) {
        std::error_code ignored;
        if (!building.empty()) fs::remove_all(building, ignored);
        std::fprintf(stderr, "nnc: error: %s\n", e.what());
        return 1;
    }
}

}  // namespace nnc::driver
