// nnc report RUN_DIR: the run's plots (drawn by gnuplot) and diagnoses as one HTML page,
// RUN_DIR/report/index.html (report_command.cpp, report/).
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace nnc::driver {

struct ReportOptions {
    std::string run_dir;
    std::string format = "png";  // png | svg
    std::string out;             // the report folder (default RUN_DIR/report)
};
CLI::App* add_report_command(CLI::App& app, ReportOptions& options);
int run_report(const ReportOptions& options);

}  // namespace nnc::driver
