#include "codegen/driver/loaded_model.h"

#include <dlfcn.h>

#include <stdexcept>

namespace nnc::driver {

LoadedModel::LoadedModel(const std::string& path) {
    // RTLD_LOCAL: each model keeps its own runtime and Halide runtime.
    handle_ = dlopen(path.find('/') == std::string::npos ? ("./" + path).c_str() : path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error("cannot load model library " + path + ": " + dlerror());
#define NNC_RESOLVE(name)                                                                           \
    name = reinterpret_cast<decltype(name)>(dlsym(handle_, #name));                                \
    if (!name) {                                                                                    \
        dlclose(handle_);                                                                           \
        throw std::runtime_error(path + " is not an nnc model library (no " #name "); rebuild it with nnc"); \
    }
    NNC_ABI_FUNCTIONS(NNC_RESOLVE)
#undef NNC_RESOLVE
    if (nnc_abi_version() != NNC_ABI_VERSION)
        throw std::runtime_error(path + " was built for nnc ABI v" + std::to_string(nnc_abi_version()) +
                                 ", this nnc speaks v" + std::to_string(NNC_ABI_VERSION) + "; rebuild it");
}

LoadedModel::~LoadedModel() {
    if (handle_) dlclose(handle_);
}

void LoadedModel::check(nnc_status status, const std::string& what) const {
    if (status != NNC_OK) throw std::runtime_error(what + ": " + nnc_last_error());
}

}  // namespace nnc::driver
