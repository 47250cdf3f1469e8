// The lint rules. Each is one function that reports its findings through Context::warn under its
// own name; registry.cpp lists them with their names and summaries, in the order they run.
#pragma once
#include <string>
#include <vector>

#include "dsl/lint/context.h"

namespace nnc::dsl::lint {

struct Rule {
    std::string name;
    std::string summary;
    void (*run)(Context&, const std::string& name);
};

const std::vector<Rule>& rules();

// loss_task.cpp
void check_loss_task(Context&, const std::string& name);
// init_activation.cpp
void check_init_activation(Context&, const std::string& name);
// recurrent_clip.cpp
void check_rnn_clip_norm(Context&, const std::string& name);
// depth.cpp
void check_deep_plain_stack(Context&, const std::string& name);
void check_deep_cnn_activation(Context&, const std::string& name);
// conv_advice.cpp
void check_kernel_size(Context&, const std::string& name);
void check_filter_count(Context&, const std::string& name);
void check_first_conv_filters(Context&, const std::string& name);
// train_advice.cpp
void check_batch_size(Context&, const std::string& name);
void check_momentum(Context&, const std::string& name);
void check_adam_lr(Context&, const std::string& name);

}  // namespace nnc::dsl::lint
