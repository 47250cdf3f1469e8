#include "runtime/cli/open_model.h"

#include "codegen/driver/commands.h"

namespace nnc::driver {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void load_weights(const OpenModel& m, const std::string& weights) {
    if (ends_with(weights, ".npz")) {
        m.lib->check(m.lib->nnc_model_import_npz(m.get(), weights.c_str()), "importing " + weights);
    } else {
        m.lib->check(m.lib->nnc_model_load(m.get(), weights.c_str()), "loading " + weights);
    }
}

OpenModel open_model(const std::string& model_path, const std::string& weights, uint64_t seed) {
    OpenModel m;
    const std::string library = ends_with(model_path, ".nn") ? compile_to_cache(model_path, {}) : model_path;
    m.lib = std::make_unique<LoadedModel>(library);
    nnc_model* raw = nullptr;
    m.lib->check(m.lib->nnc_model_create(&raw), "creating the model");
    m.model = std::unique_ptr<nnc_model, void (*)(nnc_model*)>(raw, m.lib->nnc_model_destroy);
    if (weights.empty()) {
        m.lib->check(m.lib->nnc_model_init(raw, seed), "initializing");
    } else {
        load_weights(m, weights);
    }
    return m;
}

}  // namespace nnc::driver
