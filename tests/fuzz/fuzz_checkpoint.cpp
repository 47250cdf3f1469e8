// Checkpoint loading into a model (the tiny fake model of tests/runtime, Adam, so the optimizer
// section is parsed too). The harness rewrites the last 4 bytes as the CRC-32 of the rest before
// loading: random bytes would otherwise stop at the checksum and never reach the section parsers
// (optimizer, training state, standardization). nnc_model_load must return a status, never crash.
#include <nnc/nnc.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tests/fuzz/fuzz_support.h"
#include "tests/runtime/fake_model.h"

namespace {

nnc_model* the_model() {
    static nnc_model* model = [] {
        use_fake_model(FakeModel::classifier);
        nnc_model* m = nullptr;
        nnc_optimizer_config adam;
        if (nnc_model_create(&m) != NNC_OK || nnc_optimizer_defaults("adam", &adam) != NNC_OK ||
            nnc_model_set_optimizer(m, &adam) != NNC_OK || nnc_model_init(m, 1) != NNC_OK)
            __builtin_trap();
        return m;
    }();
    return model;
}

}  // namespace

// NNC_FUZZ_WRITE_SEED=FILE: save a valid checkpoint of the model there first (tests/fuzz/run.sh
// seeds the corpus with it), after one training step so the optimizer state is not empty.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* seed = std::getenv("NNC_FUZZ_WRITE_SEED")) {
        nnc_model* m = the_model();
        const float x[8] = {0.1f, -0.2f, 0.3f, 0.4f, 1, 0, -1, 0.5f};
        const int32_t y[2] = {0, 2};
        float loss = 0;
        if (nnc_model_train_step(m, x, y, 2, &loss, nullptr) != NNC_OK || nnc_model_save(m, seed) != NNC_OK) {
            std::fprintf(stderr, "cannot write the seed checkpoint: %s\n", nnc_last_error());
            std::abort();
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = nnc::fuzz::scratch_path(".ckpt");
    nnc_model* model = the_model();
    std::vector<uint8_t> bytes(data, data + size);
    if (bytes.size() >= 4) {
        const uint32_t crc = static_cast<uint32_t>(crc32_z(0, bytes.data(), bytes.size() - 4));
        std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    }
    nnc::fuzz::write_scratch(path, bytes.data(), bytes.size());
    const nnc_status status = nnc_model_load(model, path.c_str());
    if (status != NNC_OK && std::strlen(nnc_last_error()) == 0) __builtin_trap();
    return 0;
}
