// The IDX reader: round trips through gzip and plain files, every malformed-file error, and the
// real Fashion-MNIST files when present.
#include "runtime/idx_reader.h"
#include "tests/runtime/test_support.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

namespace {

void put_u32(std::vector<unsigned char>& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

std::vector<unsigned char> images_bytes(uint32_t count, uint32_t rows, uint32_t cols, uint32_t stored) {
    std::vector<unsigned char> out;
    put_u32(out, 0x00000803);
    put_u32(out, count);
    put_u32(out, rows);
    put_u32(out, cols);
    for (uint32_t i = 0; i < stored * rows * cols; ++i) out.push_back(static_cast<unsigned char>((i * 37) % 256));
    return out;
}

std::vector<unsigned char> labels_bytes(uint32_t count, uint32_t stored) {
    std::vector<unsigned char> out;
    put_u32(out, 0x00000801);
    put_u32(out, count);
    for (uint32_t i = 0; i < stored; ++i) out.push_back(static_cast<unsigned char>(i % 10));
    return out;
}

void write_gz(const std::string& path, const std::vector<unsigned char>& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
}

// Loads and expects failure `status` whose message names `file` and contains `text`.
void expect_load_error(const std::string& images, const std::string& labels, nnc_status status, const std::string& file,
                       const std::string& text) {
    nnc_dataset* d = reinterpret_cast<nnc_dataset*>(1);
    EXPECT_EQ(nnc_dataset_load_idx(images.c_str(), labels.c_str(), &d), status) << nnc_last_error();
    EXPECT_EQ(d, nullptr);
    EXPECT_ERROR_MENTIONS(file);
    EXPECT_ERROR_MENTIONS(text);
}

class IdxReaderTest : public ::testing::Test {
protected:
    TempDir dir;
    std::string images = dir.file("images.gz"), labels = dir.file("labels.gz");
};

TEST_F(IdxReaderTest, RoundTripsGzipAndPlain) {
    const auto img = images_bytes(5, 2, 3, 5);
    for (bool gz : {true, false}) {
        if (gz) {
            write_gz(images, img);
            write_gz(labels, labels_bytes(5, 5));
        } else {
            write_bytes(images, img);
            write_bytes(labels, labels_bytes(5, 5));
        }
        const nnc::runtime::IdxImages read = nnc::runtime::read_idx_images(images);
        EXPECT_EQ(read.count, 5);
        EXPECT_EQ(read.rows, 2);
        EXPECT_EQ(read.cols, 3);
        ASSERT_EQ(read.pixels.size(), 30u);
        for (size_t i = 0; i < 30; ++i) EXPECT_EQ(read.pixels[i], static_cast<float>(img[16 + i]) / 255.0f) << i;
        EXPECT_EQ(nnc::runtime::read_idx_labels(labels), (std::vector<int32_t>{0, 1, 2, 3, 4}));

        nnc_dataset* d = nullptr;
        ASSERT_EQ(nnc_dataset_load_idx(images.c_str(), labels.c_str(), &d), NNC_OK) << nnc_last_error();
        DatasetPtr data(d);
        EXPECT_EQ(nnc_dataset_size(d), 5);
        EXPECT_EQ(nnc_dataset_sample_size(d), 6);
    }
}

TEST_F(IdxReaderTest, BadMagicNamesFileAndOffset) {
    auto bad = images_bytes(5, 2, 3, 5);
    bad[3] = 0x04;
    write_gz(images, bad);
    write_gz(labels, labels_bytes(5, 5));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 0");
    EXPECT_ERROR_MENTIONS("magic number 0x00000804, expected 0x00000803");
}

TEST_F(IdxReaderTest, SwappedFilesAreDiagnosed) {
    write_gz(images, images_bytes(5, 2, 3, 5));
    write_gz(labels, labels_bytes(5, 5));
    expect_load_error(labels, images, NNC_ERR_FORMAT, labels, "did you swap the images and labels paths?");
}

TEST_F(IdxReaderTest, TruncatedDataNamesTheOffset) {
    write_gz(images, images_bytes(5, 2, 3, 3));  // header says 5 images, 3 present
    write_gz(labels, labels_bytes(5, 5));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 34 (uncompressed)");
    EXPECT_ERROR_MENTIONS("truncated");

    write_gz(images, images_bytes(5, 2, 3, 5));
    write_gz(labels, labels_bytes(5, 2));
    expect_load_error(images, labels, NNC_ERR_FORMAT, labels, "byte offset 10");

    const auto whole = images_bytes(5, 2, 3, 5);
    write_gz(images, std::vector<unsigned char>(whole.begin(), whole.begin() + 6));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 6");
}

TEST_F(IdxReaderTest, TruncatedGzipStream) {
    write_gz(images, images_bytes(100, 28, 28, 100));
    const auto compressed = read_bytes(images);
    write_bytes(images, std::vector<unsigned char>(compressed.begin(), compressed.begin() + compressed.size() / 2));
    write_gz(labels, labels_bytes(100, 100));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset");
}

TEST_F(IdxReaderTest, CountMismatchNamesBothFiles) {
    write_gz(images, images_bytes(5, 2, 3, 5));
    write_gz(labels, labels_bytes(4, 4));
    expect_load_error(images, labels, NNC_ERR_FORMAT, labels, "holds 5 images");
    EXPECT_ERROR_MENTIONS(images);
    EXPECT_ERROR_MENTIONS("byte offset 4");
}

TEST_F(IdxReaderTest, TrailingDataIsRejected) {
    auto extra = images_bytes(5, 2, 3, 5);
    extra.push_back(1);
    write_gz(images, extra);
    write_gz(labels, labels_bytes(5, 5));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 46");
}

TEST_F(IdxReaderTest, EmptyGarbageMissingAndCorruptHeader) {
    write_gz(labels, labels_bytes(5, 5));
    write_bytes(images, {});
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "is empty");

    std::vector<unsigned char> garbage;
    for (int i = 0; i < 100; ++i) garbage.push_back(static_cast<unsigned char>(0xA5 ^ i));
    write_bytes(images, garbage);
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 0");
    EXPECT_ERROR_MENTIONS("not an IDX images file");

    expect_load_error(dir.file("missing.gz"), labels, NNC_ERR_IO, "missing.gz", "No such file");

    write_gz(images, images_bytes(5, 0, 3, 0));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "byte offset 8");
    EXPECT_ERROR_MENTIONS("row count is 0");

    write_gz(images, images_bytes(0x7FFFFFFF, 28, 28, 2));  // a huge count must not allocate it all
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "truncated");
    write_gz(images, images_bytes(0xFFFFFFFF, 28, 28, 2));
    expect_load_error(images, labels, NNC_ERR_FORMAT, images, "the image count is 4294967295");

    nnc_dataset* d = nullptr;
    EXPECT_EQ(nnc_dataset_load_idx(nullptr, labels.c_str(), &d), NNC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(nnc_dataset_load_idx(images.c_str(), labels.c_str(), nullptr), NNC_ERR_INVALID_ARGUMENT);
}

TEST(FashionMnist, LoadsTheRealFiles) {
    const std::string dir = NNC_FASHION_MNIST_DIR;
    if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST in " << dir;
    for (const auto& [prefix, count] : {std::pair<std::string, int64_t>{"train", 60000}, {"t10k", 10000}}) {
        nnc_dataset* d = nullptr;
        ASSERT_EQ(nnc_dataset_load_idx((dir + "/" + prefix + "-images-idx3-ubyte.gz").c_str(),
                                       (dir + "/" + prefix + "-labels-idx1-ubyte.gz").c_str(), &d),
                  NNC_OK)
            << nnc_last_error();
        DatasetPtr data(d);
        EXPECT_EQ(nnc_dataset_size(d), count);
        EXPECT_EQ(nnc_dataset_sample_size(d), 784);
    }
    // Pixel range and labels, through the reader itself.
    const auto images = nnc::runtime::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
    EXPECT_EQ(images.rows, 28);
    EXPECT_EQ(images.cols, 28);
    const auto [lo, hi] = std::minmax_element(images.pixels.begin(), images.pixels.end());
    EXPECT_EQ(*lo, 0.0f);
    EXPECT_EQ(*hi, 1.0f);
    const auto labels = nnc::runtime::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
    std::vector<int> per_class(10, 0);
    for (int32_t y : labels) {
        ASSERT_GE(y, 0);
        ASSERT_LT(y, 10);
        ++per_class[y];
    }
    EXPECT_EQ(per_class, std::vector<int>(10, 1000));  // the test set is balanced
}

}  // namespace
