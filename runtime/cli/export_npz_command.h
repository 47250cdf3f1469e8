// nnc export-npz: the parameters of a run's weights (or of any checkpoint) as a NumPy .npz
// archive, one float32 array per parameter named as the model names it ("fc1.weight"), for
// numpy.load, PyTorch or `nnc predict MODEL --weights w.npz`.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

struct ExportNpzOptions {
    std::string subject;  // a run folder or a checkpoint (trained_model.h)
    std::string weights;  // --weights: another checkpoint of the run folder
    std::string model;    // --model: the model of a checkpoint outside a run folder
    std::string output;   // -o: the .npz to write
};
CLI::App* add_export_npz_command(CLI::App& app, ExportNpzOptions& options);
int run_export_npz(const ExportNpzOptions& options, const ModelCompiler& compiler);

}  // namespace nnc::driver
