// nnc export-onnx: trained weights and their model as an ONNX model (opset 17) for any ONNX
// runtime: the inference graph (dropout removed, batch norm on its running statistics), the
// standardization folded in, one output per loss in the user's units, names kept from the .nn file.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

struct ExportOnnxOptions {
    std::string subject;  // a run folder, a checkpoint, or a model with --weights (trained_model.h)
    std::string weights;  // --weights: a .ckpt or .npz (with a model), or another checkpoint of a run
    std::string model;    // --model: the model of a checkpoint outside a run folder
    std::string output;   // -o: the .onnx to write
};
CLI::App* add_export_onnx_command(CLI::App& app, ExportOnnxOptions& options);
int run_export_onnx(const ExportOnnxOptions& options, const ModelCompiler& compiler);

}  // namespace nnc::driver
