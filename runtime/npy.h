// NumPy .npy arrays (format versions 1.0, 2.0 and 3.0), read and written without numpy.
//
//   offset 0   "\x93NUMPY", u8 major, u8 minor
//              header length: u16 (v1) or u32 (v2, v3), little-endian
//              header: a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   then       the elements, C order (row-major)
//
// Supported element types: '<f4', '<f8', '<i4', '<i8', '|u1' (and '<u1'). Fortran-ordered and
// big-endian arrays are refused with what to do (np.ascontiguousarray, astype('<f4')). Every
// format error names the file (or an .npz member) and the byte offset and says what was
// expected. Throws nnc::runtime::Error: NNC_ERR_IO for unreadable files, NNC_ERR_FORMAT otherwise.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

enum class NpyDtype { F4, F8, I4, I8, U1 };

const char* npy_descr(NpyDtype dtype);  // "<f4", ...
int npy_item_size(NpyDtype dtype);

struct NpyArray {
    NpyDtype dtype = NpyDtype::F4;
    std::vector<int64_t> shape;  // row-major, outermost first; empty for a scalar
    std::vector<uint8_t> data;   // the elements, little-endian, C order
    std::string source;          // "'x.npy'" or "'p.npz' member 'w.npy'": for messages
    int64_t data_offset = 0;     // where the elements start in the source, for messages

    int64_t count() const;           // elements (1 for a scalar)
    std::string shape_text() const;  // "(2, 3)"

    // Every element as float (f8 rounds; integers convert as static_cast does).
    std::vector<float> to_floats() const;
    // Every element as a class index: integers, or floats holding whole numbers, in [0, 2^31).
    // Throws Error(NNC_ERR_FORMAT) naming the first that is not, with its index and byte offset.
    // Whole numbers >= 0, or equal to *also (a loss's ignored label) when given.
    std::vector<int32_t> to_classes(const int64_t* also = nullptr) const;
};

// `what` names the bytes in messages, e.g. "'x.npy'"; offsets in messages are relative to `data`.
NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& what);
NpyArray read_npy(const std::string& path);

NpyArray make_npy(std::vector<int64_t> shape, const float* values);    // '<f4'
NpyArray make_npy(std::vector<int64_t> shape, const int32_t* values);  // '<i4'
// The file's bytes (version 1.0 unless the header needs 2.0), the header padded to 64 bytes.
std::vector<uint8_t> npy_bytes(const NpyArray& array);
// Writes atomically: no partial file on failure.
void write_npy(const std::string& path, const NpyArray& array);

}  // namespace nnc::runtime
