// Host/device coherence (runtime/mirrored.h) on a machine without a GPU: a fake device side whose
// memory is a vector of its own, so that a missing copy shows as the wrong numbers. First the
// arena's rules, then the model's entry points and the training loop, which reach the arenas and
// the optimizer state only through the accessors: with the fake device attached, a host reader
// must see what the device wrote and the device must see what a host writer wrote.
#include "runtime/mirrored.h"

#include "runtime/model.h"
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

namespace {

using nnc::runtime::Arena;
using nnc::runtime::DeviceCopies;
using nnc::runtime::Fresh;

// Device memory for one arena: a separate copy, moved only by to_host/to_device.
class FakeDeviceArena final : public DeviceCopies {
public:
    explicit FakeDeviceArena(Arena& arena, Fresh fresh = Fresh::Both)
        : arena_(arena), memory(static_cast<size_t>(arena.size()), -1.0f) {
        host_ = arena.attach_device(this, fresh);
        if (fresh != Fresh::Host) std::copy_n(host_, arena.size(), memory.begin());
    }
    ~FakeDeviceArena() override { arena_.detach_device(); }
    void to_host() override {
        std::copy(memory.begin(), memory.end(), host_);
        ++downloads;
    }
    void to_device() override {
        std::copy_n(host_, arena_.size(), memory.begin());
        ++uploads;
    }
    // A kernel writing every element on the device.
    void kernel_fills(float value) {
        arena_.device_overwrite();
        std::fill(memory.begin(), memory.end(), value);
    }

    Arena& arena_;
    float* host_ = nullptr;  // the arena's host copy, as attaching hands it over
    std::vector<float> memory;
    int downloads = 0, uploads = 0;
};

// The optimizer state's device side: every state buffer reads `value` there.
class FakeDeviceState final : public nnc::runtime::OptimizerCopies {
public:
    explicit FakeDeviceState(nnc::runtime::MirroredOptimizer& optimizer) : optimizer_(optimizer) {
        optimizer.attach_device(this, Fresh::Host);
    }
    ~FakeDeviceState() override { optimizer_.detach_device(); }
    void to_host(nnc::runtime::Optimizer& state) override {
        struct Fill final : nnc::runtime::OptimizerStateFields {
            float value = 0;
            void counter(const char*, int64_t&) override {}
            void flag(const char*, bool&) override {}
            void buffer(const char*, std::vector<float>& v) override { std::fill(v.begin(), v.end(), value); }
        } fill;
        fill.value = value;
        state.visit_state(fill);
        ++downloads;
    }
    void to_device(nnc::runtime::Optimizer&) override { ++uploads; }

    nnc::runtime::MirroredOptimizer& optimizer_;
    float value = 0.5f;
    int downloads = 0, uploads = 0;
};

TEST(Mirrored, HostReadAfterDeviceWriteSeesTheDevicesData) {
    Arena arena(64);
    FakeDeviceArena device(arena);
    device.kernel_fills(3.0f);
    EXPECT_EQ(arena.host_read()[10], 3.0f);
    EXPECT_EQ(device.downloads, 1);
    arena.host_read();  // both current now: no second copy
    EXPECT_EQ(device.downloads, 1);
}

TEST(Mirrored, DeviceReadAfterHostWriteSeesTheHostsData) {
    Arena arena(64);
    FakeDeviceArena device(arena);
    arena.host_write()[5] = 7.0f;
    arena.device_read();
    EXPECT_EQ(device.memory[5], 7.0f);
    EXPECT_EQ(device.uploads, 1);
    arena.device_read();
    EXPECT_EQ(device.uploads, 1);
}

TEST(Mirrored, PartialHostWriteKeepsTheDevicesOtherValues) {
    Arena arena(64);
    FakeDeviceArena device(arena);
    device.kernel_fills(2.0f);
    arena.host_write()[0] = 9.0f;  // a read-modify-write: the rest comes down first
    arena.device_read();
    EXPECT_EQ(device.memory[0], 9.0f);
    EXPECT_EQ(device.memory[1], 2.0f);
}

TEST(Mirrored, OverwritesCopyNothing) {
    Arena arena(64);
    FakeDeviceArena device(arena);
    device.kernel_fills(2.0f);
    std::fill_n(arena.host_overwrite(), 64, 4.0f);
    EXPECT_EQ(device.downloads, 0);
    arena.device_read();
    EXPECT_EQ(device.memory[63], 4.0f);
    arena.device_overwrite();
    arena.host_overwrite();
    EXPECT_EQ(device.downloads, 0);
    EXPECT_EQ(device.uploads, 1);
}

TEST(Mirrored, WithoutADeviceEveryAccessIsPlainMemory) {
    Arena arena(8);
    arena.host_write()[3] = 1.0f;
    arena.device_read();
    arena.device_overwrite();
    EXPECT_EQ(arena.host_read()[3], 1.0f);
    EXPECT_EQ(arena.fresh(), Fresh::Both);
}

// The model's entry points with a fake device under the parameter arena.
class MirroredModel : public ::testing::Test {
protected:
    void SetUp() override {
        use_fake_model(FakeModel::classifier);
        model = create_model();
    }
    // 24 samples of 4 features in 3 classes.
    static DatasetPtr training_data() {
        const int n = 24;
        std::vector<float> x(static_cast<size_t>(n * 4));
        std::vector<int32_t> y(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
            y[static_cast<size_t>(i)] = i % 3;
            for (int k = 0; k < 4; ++k)
                x[static_cast<size_t>(i * 4 + k)] = static_cast<float>((i * 7 + k * 3) % 5) - 2.0f;
        }
        nnc_dataset* raw = nullptr;
        EXPECT_EQ(nnc_dataset_from_memory(x.data(), y.data(), n, 4, NNC_TARGET_CLASSES, 1, &raw), NNC_OK);
        return DatasetPtr(raw);
    }
    // Two epochs of five batches each, the last one short.
    nnc_train_config train_config() const {
        nnc_train_config config;
        EXPECT_EQ(nnc_model_default_train_config(model.get(), &config, nullptr, nullptr), NNC_OK);
        config.epochs = 2;
        config.batch = 5;
        return config;
    }
    ModelPtr model;
};

TEST_F(MirroredModel, GetParamSeesTheDevicesParameters) {
    FakeDeviceArena device(model->params);
    device.kernel_fills(0.25f);
    for (int p = 0; p < nnc_model_num_params(model.get()); ++p)
        for (float v : get_param(model.get(), p)) EXPECT_EQ(v, 0.25f);
}

TEST_F(MirroredModel, SetParamReachesTheDeviceAndKeepsTheOtherParameters) {
    FakeDeviceArena device(model->params);
    device.kernel_fills(0.25f);
    std::vector<float> bias(static_cast<size_t>(nnc_model_param_count(model.get(), 1)), 5.0f);
    ASSERT_EQ(nnc_model_set_param(model.get(), 1, bias.data(), static_cast<int64_t>(bias.size())), NNC_OK);
    model->params.device_read();
    EXPECT_EQ(device.memory[static_cast<size_t>(model->offset[1])], 5.0f);
    EXPECT_EQ(device.memory[static_cast<size_t>(model->offset[0])], 0.25f);
}

TEST_F(MirroredModel, GetGradSeesTheDevicesGradients) {
    FakeDeviceArena device(model->grads);
    device.kernel_fills(-1.5f);
    EXPECT_EQ(get_grad(model.get(), 0)[0], -1.5f);
}

TEST_F(MirroredModel, CheckpointsSaveTheDevicesValuesAndLoadReachesTheDevice) {
    TempDir dir;
    nnc_optimizer_config adam;
    ASSERT_EQ(nnc_optimizer_defaults("adam", &adam), NNC_OK);
    ASSERT_EQ(nnc_model_set_optimizer(model.get(), &adam), NNC_OK);
    {
        FakeDeviceArena params(model->params);
        FakeDeviceState state(model->optimizer);
        params.kernel_fills(0.75f);
        model->optimizer.device_write();  // a device step: the moments live there now
        ASSERT_EQ(nnc_model_save(model.get(), dir.file("a.ckpt").c_str()), NNC_OK) << nnc_last_error();
        EXPECT_EQ(state.downloads, 1);
    }
    ModelPtr loaded = create_model();
    ASSERT_EQ(nnc_model_set_optimizer(loaded.get(), &adam), NNC_OK);
    FakeDeviceArena device(loaded->params);
    device.kernel_fills(0.0f);
    ASSERT_EQ(nnc_model_load(loaded.get(), dir.file("a.ckpt").c_str()), NNC_OK) << nnc_last_error();
    loaded->params.device_read();
    EXPECT_EQ(device.memory[static_cast<size_t>(loaded->offset[0])], 0.75f);
    // The saved moments are the device's: every buffer element 0.5.
    struct Check final : nnc::runtime::OptimizerStateFields {
        int buffers = 0, wrong = 0;
        void counter(const char*, int64_t&) override {}
        void flag(const char*, bool&) override {}
        void buffer(const char*, std::vector<float>& v) override {
            buffers += !v.empty();
            wrong += static_cast<int>(std::count_if(v.begin(), v.end(), [](float x) { return x != 0.5f; }));
        }
    } check;
    loaded->optimizer.host_read().visit_state(check);
    EXPECT_GT(check.buffers, 0);
    EXPECT_EQ(check.wrong, 0);
}

// Runs `call` with the parameters and the optimizer's moments on a fake device, as after a device
// step; every host writer that replaces all the values marks the device's copies stale and copies
// nothing down first. Returns what the device holds at parameter 0's first element afterwards.
float replace_on_device(nnc_model& model, const char* what, const std::function<nnc_status()>& call,
                        bool writes_params) {
    FakeDeviceArena params(model.params);
    FakeDeviceState state(model.optimizer);
    params.kernel_fills(0.0f);
    model.optimizer.device_write();
    EXPECT_EQ(call(), NNC_OK) << what << ": " << nnc_last_error();
    EXPECT_EQ(params.downloads, 0) << what;
    EXPECT_EQ(state.downloads, 0) << what;
    EXPECT_EQ(model.optimizer.fresh(), Fresh::Host) << what << ": the device would keep its stale moments";
    model.params.device_read();
    EXPECT_EQ(params.uploads, writes_params ? 1 : 0) << what;
    return params.memory[static_cast<size_t>(model.offset[0])];
}

// Init, import, load and another optimizer replace everything; export and save read the device's
// values.
TEST_F(MirroredModel, WholeReplacementsMarkTheDeviceStaleWithoutADownload) {
    TempDir dir;
    nnc_optimizer_config adam;
    ASSERT_EQ(nnc_optimizer_defaults("adam", &adam), NNC_OK);
    ASSERT_EQ(nnc_model_set_optimizer(model.get(), &adam), NNC_OK);
    {
        FakeDeviceArena params(model->params);
        params.kernel_fills(0.75f);
        ASSERT_EQ(nnc_model_export_npz(model.get(), dir.file("a.npz").c_str()), NNC_OK) << nnc_last_error();
        ASSERT_EQ(nnc_model_save(model.get(), dir.file("a.ckpt").c_str()), NNC_OK) << nnc_last_error();
    }
    nnc_model* m = model.get();
    const std::string npz = dir.file("a.npz"), ckpt = dir.file("a.ckpt");
    const auto init = [&] { return nnc_model_init(m, 7); };
    const auto import = [&] { return nnc_model_import_npz(m, npz.c_str()); };
    const auto load = [&] { return nnc_model_load(m, ckpt.c_str()); };
    const auto set_optimizer = [&] { return nnc_model_set_optimizer(m, &adam); };
    EXPECT_NE(replace_on_device(*m, "init", init, true), 0.0f);
    EXPECT_EQ(replace_on_device(*m, "import", import, true), 0.75f);
    EXPECT_EQ(replace_on_device(*m, "load", load, true), 0.75f);
    replace_on_device(*m, "set_optimizer", set_optimizer, false);
}

// A host training run from moments the device holds: they come down once before the first host
// step, the gradients never do (every pipeline call replaces them), and the device side of both
// counts as stale afterwards.
TEST_F(MirroredModel, HostTrainingStepsFromTheDevicesOptimizerState) {
    const DatasetPtr data = training_data();
    nnc_optimizer_config adam;
    ASSERT_EQ(nnc_optimizer_defaults("adam", &adam), NNC_OK);
    const nnc_train_config config = train_config();

    ModelPtr reference = create_model();
    ASSERT_EQ(nnc_model_set_optimizer(reference.get(), &adam), NNC_OK);
    struct Fill final : nnc::runtime::OptimizerStateFields {
        void counter(const char*, int64_t&) override {}
        void flag(const char*, bool&) override {}
        void buffer(const char*, std::vector<float>& v) override { std::fill(v.begin(), v.end(), 0.5f); }
    } fill;
    reference->optimizer.host_overwrite().visit_state(fill);
    ASSERT_EQ(nnc_train(reference.get(), data.get(), nullptr, &config), NNC_OK) << nnc_last_error();

    ASSERT_EQ(nnc_model_set_optimizer(model.get(), &adam), NNC_OK);
    FakeDeviceArena grads(model->grads);
    FakeDeviceState state(model->optimizer);  // its moments read 0.5, as the reference's
    grads.kernel_fills(std::numeric_limits<float>::quiet_NaN());
    model->optimizer.device_write();
    ASSERT_EQ(nnc_train(model.get(), data.get(), nullptr, &config), NNC_OK) << nnc_last_error();
    EXPECT_EQ(state.downloads, 1);
    EXPECT_EQ(grads.downloads, 0);
    EXPECT_EQ(model->optimizer.fresh(), Fresh::Host);
    EXPECT_EQ(model->grads.fresh(), Fresh::Host);
    for (int p = 0; p < model->desc->num_params; ++p)
        EXPECT_EQ(get_param(model.get(), p), get_param(reference.get(), p)) << "parameter " << p;
}

// Training on the host from parameters the device holds: the run must start from the device's
// values and leave its result where the device reads it, exactly as a run started from the same
// values on the host.
TEST_F(MirroredModel, TrainingStartsFromAndEndsOnTheDevicesParameters) {
    const DatasetPtr data = training_data();
    nnc_train_config config = train_config();
    config.clip_norm = 0.5;

    ModelPtr reference = create_model();
    const float start = 0.125f;
    for (int p = 0; p < nnc_model_num_params(reference.get()); ++p) {
        std::vector<float> v(static_cast<size_t>(nnc_model_param_count(reference.get(), p)), start);
        ASSERT_EQ(nnc_model_set_param(reference.get(), p, v.data(), static_cast<int64_t>(v.size())), NNC_OK);
    }
    ASSERT_EQ(nnc_train(reference.get(), data.get(), nullptr, &config), NNC_OK) << nnc_last_error();

    FakeDeviceArena device(model->params);
    device.kernel_fills(0.0f);
    for (int p = 0; p < model->desc->num_params; ++p)
        std::fill_n(device.memory.begin() + model->offset[static_cast<size_t>(p)], model->count[static_cast<size_t>(p)],
                    start);
    ASSERT_EQ(nnc_train(model.get(), data.get(), nullptr, &config), NNC_OK) << nnc_last_error();
    model->params.device_read();
    for (int p = 0; p < model->desc->num_params; ++p) {
        const std::vector<float> want = get_param(reference.get(), p);
        const float* got = device.memory.data() + model->offset[static_cast<size_t>(p)];
        EXPECT_EQ(std::memcmp(got, want.data(), want.size() * sizeof(float)), 0) << "parameter " << p;
    }
}

}  // namespace
