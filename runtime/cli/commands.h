// The training-side subcommands of nnc — train (and train --sanity), eval, predict, export-npz,
// lr-find, tune and report — registered on the program's command line and run from it. The program hands in
// the compiler (model_compiler.h); everything else here drives models through the C ABI only.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>

#include "runtime/cli/model_compiler.h"

namespace nnc::driver {

class TrainingCommands {
public:
    // Adds the subcommands to `app`; their options live here, so keep this object until run().
    TrainingCommands(CLI::App& app, ModelCompiler compiler);
    ~TrainingCommands();
    TrainingCommands(const TrainingCommands&) = delete;
    TrainingCommands& operator=(const TrainingCommands&) = delete;

    // After parsing: the chosen subcommand's exit status, or nullopt when none of these was chosen.
    std::optional<int> run() const;

private:
    struct Commands;
    std::unique_ptr<Commands> commands_;
};

}  // namespace nnc::driver
