// Every lint rule, in the order they run. A rule's name is what its warnings end with and what
// `# nnc: allow(NAME)` silences; GRAMMAR.md's Lint section documents each.
#include "dsl/lint/rules.h"

namespace nnc::dsl::lint {

const std::vector<Rule>& rules() {
    static const std::vector<Rule> all = {
        {"loss-task",
         "the loss fits the task: softmax_cross_entropy on logits for classes, sigmoid BCE for "
         "binary/multi-label, mse on a linear output for regression",
         check_loss_task},
        {"init-activation",
         "an explicit init= fits the activation after it: He for relu, Xavier for tanh/sigmoid, "
         "uniform for embeddings",
         check_init_activation},
        {"rnn-clip-norm", "lstm/gru train with clip_norm between 5 and 15", check_rnn_clip_norm},
        {"deep-plain-stack", "8 or more weight layers in a row need batchnorm or residual connections",
         check_deep_plain_stack},
        {"deep-cnn-activation", "no sigmoid/tanh hidden activations in a CNN 4 or more convolutions deep",
         check_deep_cnn_activation},
        {"kernel-size", "convolution kernels are 3x3 (1x1 for projections)", check_kernel_size},
        {"filter-count", "convolution filter counts are powers of two", check_filter_count},
        {"first-conv-filters", "the first convolution has at least 16 filters", check_first_conv_filters},
        {"batch-size", "batch between 16 and 128 (a multiple of 32 on a GPU target)", check_batch_size},
        {"momentum", "sgd momentum near 0.9 (0.8 to 0.99)", check_momentum},
        {"adam-lr", "adam/adamw lr within 10x of 3e-4", check_adam_lr},
    };
    return all;
}

}  // namespace nnc::dsl::lint
