// task-loss-scale: in a multi-task model, weighted losses that differ by more than 10x. The
// gradient of the total is then almost only the big task's; the small one barely trains.
#pragma once
#include <string>
#include <vector>

#include "runtime/cli/diagnostics/finding.h"

namespace nnc::diagnostics {

constexpr double kTaskLossRatio = 10;

struct TaskLoss {
    std::string name;
    double weight = 1;  // its weight in the total loss
    double loss = 0;    // unweighted, e.g. the first epoch's training mean
};

// Compares every loss's weighted value with the first loss's; one warning per loss more than 10x
// larger or smaller, suggesting the weight that brings it to the first loss's scale (rounded to two
// significant digits). Silent with fewer than two losses or non-finite values.
std::vector<Finding> check_task_loss_scale(const std::vector<TaskLoss>& losses, int64_t epoch);

}  // namespace nnc::diagnostics
