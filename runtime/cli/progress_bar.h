// Training progress for people: a live bar with rate and ETA on a terminal, one plain line per
// epoch otherwise (logs and CI stay readable).
#pragma once
#include <nnc/nnc.h>

#include <cstdio>

namespace nnc::driver {

class ProgressBar {
public:
    explicit ProgressBar(std::FILE* out);
    bool interactive() const { return interactive_; }
    void update(const nnc_progress& p);  // redraws at most ~10 times a second
    void epoch_done(const nnc_epoch_stats& s);

private:
    std::FILE* out_;
    bool interactive_;
    double last_draw_ = -1;
};

}  // namespace nnc::driver
