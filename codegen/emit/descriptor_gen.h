// Emits the C source of nnc_model_descriptor() (runtime/include/nnc/model_desc.h): the table the
// runtime reads to drive a model — its parameters, tensors, pipelines and training defaults.
#pragma once
#include <string>

#include "dsl/model.h"

namespace nnc::codegen {

struct StagedPipeline;
// The pipelines built as stages (codegen/lower/staged_lowering.h); null: built as one.
struct StagedPlans {
    const StagedPipeline* forward = nullptr;
    const StagedPipeline* evaluate = nullptr;
    const StagedPipeline* train_step = nullptr;
};

struct PipelineSymbols {
    std::string forward = "nncgen_forward";  // the _argv entry points are used
    std::string evaluate = "nncgen_evaluate";
    std::string train_step = "nncgen_train_step";
};

// `halide_target` is the target string the pipelines were compiled for; `cuda` says their kernels
// run on a CUDA GPU (the descriptor's device field). `device_kernels`: the library carries the
// device optimizer kernels (codegen/emit/device_optimizers.h) as <symbol_prefix>device_<name>.
std::string generate_descriptor_source(const dsl::CheckedModel& model, const std::string& source_hash,
                                       const PipelineSymbols& symbols, const std::string& halide_target = "host",
                                       bool cuda = false, const StagedPlans& plans = {}, bool device_kernels = false);

// The symbol of a device kernel ("device_adam") in a model library.
std::string device_kernel_symbol(const std::string& kernel_name);

// A stable hash (FNV-1a 64, hex) of the .nn text, stored in checkpoints.
std::string hash_source(const std::string& text);

}  // namespace nnc::codegen
