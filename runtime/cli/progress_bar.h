// Training progress for people: a live bar with rate and ETA on a terminal, one plain line per
// epoch otherwise (logs and CI stay readable).
#pragma once
#include <nnc/nnc.h>

#include <cstdio>
#include <string>
#include <vector>

namespace nnc::driver {

class ProgressBar {
public:
    explicit ProgressBar(std::FILE* out);
    bool interactive() const { return interactive_; }
    void update(const nnc_progress& p);  // redraws at most ~10 times a second
    // The epoch's line; with several losses, each one's (unweighted) loss after the sum, named by
    // `loss_names` in the model's order: "train loss 1.2 (classify 0.9, regress 0.6)".
    void epoch_done(const nnc_epoch_stats& s, const std::vector<std::string>& loss_names = {});

private:
    std::FILE* out_;
    bool interactive_;
    double last_draw_ = -1;
};

}  // namespace nnc::driver
