// Readers for the IDX files of MNIST and Fashion-MNIST, gzip-compressed or plain (zlib reads
// both). Every error names the file and the byte offset in the uncompressed stream, says what was
// expected, and what to do. Throws nnc::runtime::Error (NNC_ERR_IO or NNC_ERR_FORMAT).
//
//   images: u32 magic 0x00000803, u32 count, u32 rows, u32 cols, count*rows*cols u8 pixels
//   labels: u32 magic 0x00000801, u32 count, count u8 labels          (all big-endian)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct IdxImages {
    int64_t count = 0, rows = 0, cols = 0;
    std::vector<float> pixels;  // (count, rows * cols), in [0, 1] (byte / 255)
};

IdxImages read_idx_images(const std::string& path);
std::vector<int32_t> read_idx_labels(const std::string& path);

}  // namespace nnc::runtime
