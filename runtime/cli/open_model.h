// A model library opened for a command: a .so, or a .nn compiled into the cache first, with one
// model instance whose weights come from a checkpoint (.ckpt) or a NumPy archive (.npz).
#pragma once
#include <nnc/nnc.h>

#include <memory>
#include <string>

#include "runtime/cli/loaded_model.h"

namespace nnc::driver {

struct OpenModel {
    std::unique_ptr<LoadedModel> lib;
    std::unique_ptr<nnc_model, void (*)(nnc_model*)> model{nullptr, nullptr};

    nnc_model* get() const { return model.get(); }
};

// Throws std::runtime_error (with the library's message) on failure. `weights` may be empty: the
// model is then initialized from `seed`.
OpenModel open_model(const std::string& model_path, const std::string& weights, uint64_t seed = 0);

// Loads a .ckpt (nnc_model_load) or an .npz (nnc_model_import_npz) into the model.
void load_weights(const OpenModel& m, const std::string& weights);

}  // namespace nnc::driver
