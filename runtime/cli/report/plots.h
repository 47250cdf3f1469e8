// The plots of `nnc report`: which ones a run's data supports, their gnuplot scripts, and drawing
// them. A plot whose data is absent (no validation set, no probe, no per-tensor statistics, no
// lr-find) is left out, never drawn empty.
#pragma once
#include <string>
#include <vector>

#include "runtime/cli/report/run_log.h"

namespace nnc::driver::report {

enum class PlotSection { Training, Diagnostics, LrFind, Tune };

struct Plot {
    std::string file;     // the image's name inside the report folder: loss.png, loss.svg, ...
    std::string title;    // a heading
    std::string caption;  // how to read it, one or two sentences
    PlotSection section = PlotSection::Training;
    int width = 0, height = 0;  // pixels
};

// Draws every plot `log` has data for into the folder `out_dir` as `format` ("png" or "svg") and
// returns them in page order. Data files and scripts go to a scratch folder inside it, removed
// afterwards.
std::vector<Plot> draw_plots(const RunLog& log, const std::string& out_dir, const std::string& format);

}  // namespace nnc::driver::report
