// Checkpoints: a model's parameters in a small versioned binary file (little-endian).
//
//   offset 0   "NNCCKPT\0"                      8-byte magic
//              u32 format version               kCheckpointVersion
//              u32 length, bytes                model name
//              u32 length, bytes                source hash of the .nn file
//              u32 parameter count
//   per param: u32 length, bytes (name), u32 rank, i64 dims[rank] (row-major), f32 data[prod(dims)]
//   end        u32 CRC-32 (zlib) of every byte before it
//
// Saving writes `path.tmp.<pid>`, fsyncs it, renames it over `path` and fsyncs the folder; on any
// failure the temporary file is removed. Loading reads and validates the whole file — magic,
// version, structure (a truncation names its offset), CRC, then every parameter's name and shape
// against the model — before it changes anything. The model name and source hash are
// informational: a checkpoint loads into any model whose parameters have the same names and shapes.
#pragma once
#include <nnc/nnc.h>

#include <cstdint>
#include <string>

namespace nnc::runtime {

inline constexpr uint32_t kCheckpointVersion = 1;

// Throw nnc::runtime::Error (NNC_ERR_IO or NNC_ERR_FORMAT; a mismatch is NNC_ERR_INVALID_ARGUMENT).
void save_checkpoint(const nnc_model& model, const std::string& path);
void load_checkpoint(nnc_model& model, const std::string& path);

}  // namespace nnc::runtime
