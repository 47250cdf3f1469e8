// A model library opened at run time (dlopen): the nnc C ABI as function pointers. nnc itself
// never links the runtime; it drives each model through the library's own exported functions.
#pragma once
#include <nnc/nnc.h>

#include <string>

namespace nnc::driver {

#define NNC_ABI_FUNCTIONS(X)           \
    X(nnc_last_error)                  \
    X(nnc_abi_version)                 \
    X(nnc_model_create)                \
    X(nnc_model_destroy)               \
    X(nnc_model_name)                  \
    X(nnc_model_input_size)            \
    X(nnc_model_input_dtype)           \
    X(nnc_model_target_kind)           \
    X(nnc_model_total_param_count)     \
    X(nnc_model_init)                  \
    X(nnc_model_set_optimizer)         \
    X(nnc_model_get_optimizer)         \
    X(nnc_optimizer_defaults)          \
    X(nnc_model_save)                  \
    X(nnc_model_load)                  \
    X(nnc_dataset_load_idx)            \
    X(nnc_dataset_destroy)             \
    X(nnc_dataset_size)                \
    X(nnc_dataset_sample_size)         \
    X(nnc_dataset_slice)               \
    X(nnc_model_default_train_config)  \
    X(nnc_train)                       \
    X(nnc_evaluate)                    \
    X(nnc_model_num_targets)           \
    X(nnc_model_target_info)           \
    X(nnc_model_num_losses)            \
    X(nnc_model_loss_info)             \
    X(nnc_evaluate_tasks)              \
    X(nnc_predict)                     \
    X(nnc_model_export_npz)            \
    X(nnc_model_import_npz)            \
    X(nnc_dataset_load_csv)            \
    X(nnc_dataset_load_npy)            \
    X(nnc_model_fit_standardization)   \
    X(nnc_model_standardization)       \
    X(nnc_write_array)                 \
    X(nnc_model_num_trainable_params)  \
    X(nnc_model_param_info)            \
    X(nnc_model_num_dropouts)          \
    X(nnc_model_dropout_info)          \
    X(nnc_model_set_dropout_rate)      \
    X(nnc_train_config_set)            \
    X(nnc_train_check)                 \
    X(nnc_model_input_shape)           \
    X(nnc_model_graph_json)            \
    X(nnc_model_standardization_stats) \
    X(nnc_model_num_params)            \
    X(nnc_model_get_param)

class LoadedModel {
public:
    // Throws std::runtime_error if the library cannot be opened or lacks a function.
    explicit LoadedModel(const std::string& path);
    ~LoadedModel();
    LoadedModel(const LoadedModel&) = delete;
    LoadedModel& operator=(const LoadedModel&) = delete;

#define NNC_DECLARE_POINTER(name) decltype(&::name) name = nullptr;
    NNC_ABI_FUNCTIONS(NNC_DECLARE_POINTER)
#undef NNC_DECLARE_POINTER

    // Throws std::runtime_error with the library's last error unless status is NNC_OK.
    void check(nnc_status status, const std::string& what) const;

private:
    void* handle_ = nullptr;
};

}  // namespace nnc::driver
