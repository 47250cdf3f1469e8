// A compiled model library opened with dlopen (RTLD_LOCAL), its C ABI looked up by name, so that
// a benchmark runs several models, or libraries built against different runtimes, side by side
// in one process. A symbol an older library lacks stays null.
#pragma once
#include <dlfcn.h>
#include <nnc/nnc.h>

#include <cstdio>
#include <string>

struct ModelLibrary {
    std::string path;
    decltype(&nnc_model_create) create = nullptr;
    decltype(&nnc_model_destroy) destroy = nullptr;
    decltype(&nnc_model_init) init = nullptr;
    decltype(&nnc_model_input_size) input_size = nullptr;
    decltype(&nnc_model_output_size) output_size = nullptr;
    decltype(&nnc_model_num_classes) num_classes = nullptr;
    decltype(&nnc_model_input_dtype) input_dtype = nullptr;
    decltype(&nnc_model_num_params) num_params = nullptr;
    decltype(&nnc_model_param_info) param_info = nullptr;
    decltype(&nnc_model_set_threads) set_threads = nullptr;
    decltype(&nnc_model_train_step) train_step = nullptr;
    decltype(&nnc_model_compute_gradients) compute_gradients = nullptr;
    decltype(&nnc_model_forward) forward = nullptr;
    decltype(&nnc_dataset_from_memory) dataset = nullptr;
    decltype(&nnc_dataset_destroy) dataset_destroy = nullptr;
    decltype(&nnc_train) train = nullptr;
    decltype(&nnc_abi_version) abi = nullptr;
    decltype(&nnc_last_error) last_error = nullptr;
};

// Opens `path`; on failure prints "<who>: <dlerror>" and returns false.
inline bool open_model_library(const std::string& path, const char* who, ModelLibrary* lib) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        std::fprintf(stderr, "%s: %s\n", who, dlerror());
        return false;
    }
    lib->path = path;
#define NNC_SYM(field, name) lib->field = reinterpret_cast<decltype(lib->field)>(dlsym(h, #name))
    NNC_SYM(create, nnc_model_create);
    NNC_SYM(destroy, nnc_model_destroy);
    NNC_SYM(init, nnc_model_init);
    NNC_SYM(input_size, nnc_model_input_size);
    NNC_SYM(output_size, nnc_model_output_size);
    NNC_SYM(num_classes, nnc_model_num_classes);
    NNC_SYM(input_dtype, nnc_model_input_dtype);
    NNC_SYM(num_params, nnc_model_num_params);
    NNC_SYM(param_info, nnc_model_param_info);
    NNC_SYM(set_threads, nnc_model_set_threads);
    NNC_SYM(train_step, nnc_model_train_step);
    NNC_SYM(compute_gradients, nnc_model_compute_gradients);
    NNC_SYM(forward, nnc_model_forward);
    NNC_SYM(dataset, nnc_dataset_from_memory);
    NNC_SYM(dataset_destroy, nnc_dataset_destroy);
    NNC_SYM(train, nnc_train);
    NNC_SYM(abi, nnc_abi_version);
    NNC_SYM(last_error, nnc_last_error);
#undef NNC_SYM
    return true;
}
