// The page of `nnc report`: one self-contained HTML file (inline style, no network, no script
// library) with the run's summary, its diagnoses grouped by severity with their advice, the plots
// (images beside the page, linked relatively) and the lr-find and tune results.
#pragma once
#include <string>
#include <vector>

#include "runtime/cli/report/plots.h"
#include "runtime/cli/report/run_log.h"

namespace nnc::driver::report {

std::string html_page(const RunLog& log, const std::vector<Plot>& plots);

// Text made safe inside HTML elements and attribute values.
std::string html_escape(const std::string& s);

}  // namespace nnc::driver::report
