// Checkpoints: round trip, every corruption detected before the model changes, atomic save.
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>

namespace {

class CheckpointTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    void TearDown() override { use_fake_model(FakeModel::classifier); }

    // Every parameter of `m`, concatenated.
    static std::vector<float> all_params(const nnc_model* m) {
        std::vector<float> out;
        for (int p = 0; p < nnc_model_num_params(m); ++p) {
            const std::vector<float> v = get_param(m, p);
            out.insert(out.end(), v.begin(), v.end());
        }
        return out;
    }

    // Loading `bytes` into a model fails with `status`, mentions `text`, changes nothing.
    void expect_rejected(const std::vector<unsigned char>& bytes, nnc_status status, const std::string& text) {
        const std::string path = dir.file("bad.ckpt");
        write_bytes(path, bytes);
        ModelPtr m = create_model();
        ASSERT_EQ(nnc_model_init(m.get(), 99), NNC_OK);
        const std::vector<float> before = all_params(m.get());
        EXPECT_EQ(nnc_model_load(m.get(), path.c_str()), status) << "size " << bytes.size();
        EXPECT_ERROR_MENTIONS(text);
        EXPECT_ERROR_MENTIONS(path);
        EXPECT_EQ(all_params(m.get()), before);
    }

    TempDir dir;
};

TEST_F(CheckpointTest, RoundTripRestoresParametersExactly) {
    ModelPtr a = create_model(), b = create_model();
    ASSERT_EQ(nnc_model_init(a.get(), 1), NNC_OK);
    ASSERT_EQ(nnc_model_init(b.get(), 2), NNC_OK);
    const float bias[3] = {0.25f, -1.5f, 3.0f};
    ASSERT_EQ(nnc_model_set_param(a.get(), 1, bias, 3), NNC_OK);
    const std::string path = dir.file("model.ckpt");
    ASSERT_EQ(nnc_model_save(a.get(), path.c_str()), NNC_OK) << nnc_last_error();
    ASSERT_NE(all_params(a.get()), all_params(b.get()));
    ASSERT_EQ(nnc_model_load(b.get(), path.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(all_params(a.get()), all_params(b.get()));

    // The layout: magic, version 2, the model name, the source hash, the structure hash, the
    // parameters, then the sections, each a tag and a length, and the CRC at the very end.
    const auto bytes = read_bytes(path);
    ASSERT_GT(bytes.size(), 16u);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), std::string("NNCCKPT\0", 8));
    EXPECT_EQ(bytes[8], 2);
    EXPECT_EQ(std::string(bytes.begin() + 16, bytes.begin() + 31), "fake_classifier");
    auto u32 = [&](size_t at) {
        uint32_t v;
        std::memcpy(&v, bytes.data() + at, 4);
        return v;
    };
    auto i64 = [&](size_t at) {
        int64_t v;
        std::memcpy(&v, bytes.data() + at, 8);
        return v;
    };
    // 8 + 4 + (4 + 15) + (4 + 15) + 8 + 4 + (4 + 9 + 4 + 16 + 48) + (4 + 7 + 4 + 8 + 12)
    size_t at = 8u + 4 + 19 + 19 + 8 + 4 + 81 + 35;
    EXPECT_EQ(u32(8 + 4 + 19 + 19 + 8), 2u);  // parameter count
    ASSERT_EQ(u32(at), 5u);                   // section count
    at += 4;
    std::vector<std::string> tags;
    for (int s = 0; s < 5; ++s) {
        const uint32_t n = u32(at);
        tags.emplace_back(bytes.begin() + static_cast<long>(at) + 4, bytes.begin() + static_cast<long>(at + 4 + n));
        at += 4 + n;
        const int64_t length = i64(at);
        if (tags.back() == "step_counter") {
            EXPECT_EQ(length, 8);
        }
        at += 8 + static_cast<size_t>(length);
    }
    EXPECT_EQ(tags,
              (std::vector<std::string>{"optimizer", "train", "step_counter", "standardization", "dropout_rates"}));
    EXPECT_EQ(at + 4, bytes.size());
}

// A file written by the first format (weights only) still loads; it cannot resume a run.
TEST_F(CheckpointTest, FormatOneLoadsWeightsOnly) {
    ModelPtr a = create_model();
    ASSERT_EQ(nnc_model_init(a.get(), 5), NNC_OK);
    std::vector<unsigned char> v1;
    auto put = [&](const void* p, size_t n) {
        v1.insert(v1.end(), static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
    };
    auto u32 = [&](uint32_t v) { put(&v, 4); };
    auto str = [&](const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        put(s.data(), s.size());
    };
    put("NNCCKPT\0", 8);
    u32(1);
    str("fake_classifier");
    str("");
    u32(2);
    const std::vector<float> w = get_param(a.get(), 0), b = get_param(a.get(), 1);
    str("fc.weight");
    u32(2);
    int64_t d0[2] = {4, 3};
    put(d0, 16);
    put(w.data(), 48);
    str("fc.bias");
    u32(1);
    int64_t d1 = 3;
    put(&d1, 8);
    put(b.data(), 12);
    u32(static_cast<uint32_t>(crc32_z(0, v1.data(), v1.size())));
    const std::string path = dir.file("v1.ckpt");
    write_bytes(path, v1);

    ModelPtr m = create_model();
    ASSERT_EQ(nnc_model_load(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
    EXPECT_EQ(all_params(m.get()), all_params(a.get()));
    nnc_train_config c{};
    c.epochs = 2;
    c.batch = 2;
    c.resume = 1;
    const float x[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    const int32_t y[2] = {0, 1};
    nnc_dataset* raw = nullptr;
    ASSERT_EQ(nnc_dataset_from_memory(x, y, 2, 4, NNC_TARGET_CLASSES, 1, &raw), NNC_OK);
    DatasetPtr data(raw);
    EXPECT_EQ(nnc_train(m.get(), data.get(), nullptr, &c), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("format-1 checkpoint");
    EXPECT_ERROR_MENTIONS("v1.ckpt");
}

TEST_F(CheckpointTest, SaveLeavesNoTemporaryFilesAndOverwrites) {
    ModelPtr m = create_model();
    const std::string path = dir.file("model.ckpt");
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
    ASSERT_EQ(nnc_model_init(m.get(), 3), NNC_OK);
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK) << nnc_last_error();
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        ++files;
        EXPECT_EQ(entry.path().filename(), "model.ckpt");
    }
    EXPECT_EQ(files, 1);
    // A save into a missing folder fails cleanly with an IO error.
    EXPECT_EQ(nnc_model_save(m.get(), dir.file("no/such/dir/model.ckpt").c_str()), NNC_ERR_IO);
    EXPECT_ERROR_MENTIONS("no/such/dir/model.ckpt.tmp.");
}

TEST_F(CheckpointTest, TruncationIsDetectedAtEveryOffset) {
    ModelPtr m = create_model();
    const std::string path = dir.file("model.ckpt");
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK);
    const auto bytes = read_bytes(path);
    for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{11}, size_t{20}, size_t{54}, size_t{60}, size_t{100},
                       bytes.size() - 5, bytes.size() - 1}) {
        const std::vector<unsigned char> prefix(bytes.begin(), bytes.begin() + static_cast<long>(cut));
        SCOPED_TRACE("cut at " + std::to_string(cut));
        if (cut == 0) {
            expect_rejected(prefix, NNC_ERR_FORMAT, "is empty");
        } else {
            expect_rejected(prefix, NNC_ERR_FORMAT, "byte offset");
        }
    }
    // Every other cut is rejected too.
    for (size_t cut = 1; cut < bytes.size(); ++cut) {
        write_bytes(dir.file("cut.ckpt"),
                    std::vector<unsigned char>(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
        EXPECT_EQ(nnc_model_load(m.get(), dir.file("cut.ckpt").c_str()), NNC_ERR_FORMAT) << cut;
    }
}

TEST_F(CheckpointTest, FlippedByteFailsTheCrc) {
    ModelPtr m = create_model();
    const std::string path = dir.file("model.ckpt");
    ASSERT_EQ(nnc_model_save(m.get(), path.c_str()), NNC_OK);
    auto bytes = read_bytes(path);
    bytes[170] ^= 0x10;  // inside the bias data (bytes 166 to 177)
    expect_rejected(bytes, NNC_ERR_FORMAT, "CRC-32 mismatch");
    bytes = read_bytes(path);
    bytes[0] = 'X';
    expect_rejected(bytes, NNC_ERR_FORMAT, "not an nnc checkpoint");
    bytes = read_bytes(path);
    bytes[8] = 9;  // version
    expect_rejected(bytes, NNC_ERR_FORMAT, "format version 9 is not supported");
    bytes = read_bytes(path);
    bytes.push_back(0);
    expect_rejected(bytes, NNC_ERR_FORMAT, "unexpected bytes after the CRC-32");
}

TEST_F(CheckpointTest, WrongModelIsRejectedWithoutChanges) {
    use_fake_model(FakeModel::regressor);
    ModelPtr regressor = create_model();
    const std::string path = dir.file("regressor.ckpt");
    ASSERT_EQ(nnc_model_save(regressor.get(), path.c_str()), NNC_OK);
    use_fake_model(FakeModel::classifier);
    expect_rejected(read_bytes(path), NNC_ERR_INVALID_ARGUMENT,
                    "parameter 0 is 'fc.weight' [4, 3] in the model but 'fc.weight' [4, 2] in the checkpoint");
    EXPECT_ERROR_MENTIONS("saved from model 'fake_regressor'");
}

TEST_F(CheckpointTest, MissingFileIsAnIoError) {
    ModelPtr m = create_model();
    EXPECT_EQ(nnc_model_load(m.get(), dir.file("nope.ckpt").c_str()), NNC_ERR_IO);
    EXPECT_ERROR_MENTIONS("nope.ckpt");
}

}  // namespace
