// The fake model linked as a model.so (whole runtime archive + runtime/exports.map): the library
// exports exactly the C ABI of nnc.h and works through dlopen, without any Halide runtime.
#include "tests/runtime/test_support.h"

#include <dlfcn.h>

namespace {

// Every function declared in nnc.h.
const char* const kAbi[] = {
    "nnc_last_error",
    "nnc_abi_version",
    "nnc_model_create",
    "nnc_model_destroy",
    "nnc_model_name",
    "nnc_model_input_size",
    "nnc_model_output_size",
    "nnc_model_target_kind",
    "nnc_model_num_classes",
    "nnc_model_target_size",
    "nnc_model_num_params",
    "nnc_model_param_info",
    "nnc_model_param_count",
    "nnc_model_total_param_count",
    "nnc_model_init",
    "nnc_model_get_param",
    "nnc_model_set_param",
    "nnc_model_get_grad",
    "nnc_model_forward",
    "nnc_model_compute_gradients",
    "nnc_model_train_step",
    "nnc_model_set_optimizer",
    "nnc_model_get_optimizer",
    "nnc_model_save",
    "nnc_model_load",
    "nnc_dataset_load_idx",
    "nnc_dataset_from_memory",
    "nnc_dataset_destroy",
    "nnc_dataset_size",
    "nnc_dataset_sample_size",
    "nnc_dataset_slice",
    "nnc_model_default_train_config",
    "nnc_train",
    "nnc_evaluate",
    // ABI 3
    "nnc_model_input_dtype",
    "nnc_model_num_targets",
    "nnc_model_target_info",
    "nnc_model_num_losses",
    "nnc_model_loss_info",
    "nnc_model_num_trainable_params",
    "nnc_model_forward_all",
    "nnc_model_compute_gradients_multi",
    "nnc_model_train_step_multi",
    "nnc_model_step_counter",
    "nnc_model_set_step_counter",
    "nnc_model_set_threads",
    "nnc_optimizer_defaults",
    "nnc_dataset_add_target",
    "nnc_evaluate_tasks",
    "nnc_model_predict",
    "nnc_model_export_npz",
    "nnc_model_import_npz",
    "nnc_dataset_load_csv",
    "nnc_dataset_load_npy",
    "nnc_model_fit_standardization",
    "nnc_model_standardization",
    "nnc_write_array",
    "nnc_predict",
    // ABI 5
    "nnc_model_num_dropouts",
    "nnc_model_dropout_info",
    "nnc_model_set_dropout_rate",
    // added within ABI 5
    "nnc_train_config_set",
    "nnc_train_check",
    "nnc_model_input_shape",
    "nnc_model_graph_json",
    "nnc_model_standardization_stats",
};

class ModelLibrary : public ::testing::Test {
protected:
    void SetUp() override {
        handle = dlopen(NNC_FAKE_MODEL_SO, RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(handle, nullptr) << dlerror();
    }
    void TearDown() override {
        if (handle) dlclose(handle);
    }
    template <class F>
    F* get(const char* name) {
        return reinterpret_cast<F*>(dlsym(handle, name));
    }
    void* handle = nullptr;
};

TEST_F(ModelLibrary, ExportsExactlyTheAbi) {
    for (const char* name : kAbi) EXPECT_NE(dlsym(handle, name), nullptr) << name;
    // The private contract and the runtime's internals stay inside.
    EXPECT_EQ(dlsym(handle, "nnc_model_descriptor"), nullptr);
    EXPECT_EQ(dlsym(handle, "_ZN3nnc7runtime4failE10nnc_statusRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"),
              nullptr);
}

TEST_F(ModelLibrary, RunsThroughDlopen) {
    auto create = get<decltype(nnc_model_create)>("nnc_model_create");
    auto destroy = get<decltype(nnc_model_destroy)>("nnc_model_destroy");
    auto forward = get<decltype(nnc_model_forward)>("nnc_model_forward");
    auto last_error = get<decltype(nnc_last_error)>("nnc_last_error");
    ASSERT_TRUE(create && destroy && forward && last_error);
    nnc_model* m = nullptr;
    ASSERT_EQ(create(&m), NNC_OK) << last_error();
    const float x[4] = {1, 2, 3, 4};
    float p[3];
    ASSERT_EQ(forward(m, x, 1, p), NNC_OK) << last_error();
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-6);
    EXPECT_EQ(forward(m, x, -1, p), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(last_error()).find("batch must be > 0"), std::string::npos);
    destroy(m);
}

}  // namespace
