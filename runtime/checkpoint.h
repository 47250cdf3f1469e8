// Checkpoints: everything a model needs to continue training exactly where it stopped, in a small
// versioned binary file (little-endian).
//
//   offset 0   "NNCCKPT\0"                      8-byte magic
//              u32 format version               kCheckpointVersion (2; version 1 files still load)
//              u32 length, bytes                model name
//              u32 length, bytes                source hash of the .nn file
//              u64                              structure hash (parameter names and shapes, input shape)   v2
//              u32 parameter count
//   per param: u32 length, bytes (name), u32 rank, i64 dims[rank] (row-major), f32 data[prod(dims)]
//              (state parameters such as batch-norm running statistics are parameters too)
//              u32 section count                                                                            v2
//   per section: u32 length, bytes (tag), i64 length, bytes:                                               v2
//              "optimizer"        Optimizer::save_state: moment buffers and step counts
//              "train"            TrainState: epochs done, updates, lr-schedule and early-stopping state
//              "step_counter"     u64, the model's per-step seed counter (dropout masks)
//              "standardization"  input and per-target statistics (standardize.h)
//   end        u32 CRC-32 (zlib) of every byte before it
//
// Saving writes the whole file atomically (atomic_file.h: temporary file, fsync, rename, fsync of
// the folder): a crash at any moment leaves the previous checkpoint intact. Loading reads and
// validates the whole file — magic, version, structure (a truncation names its offset), CRC, every
// parameter's name and shape against the model, the structure hash, every section — before it
// changes anything. The optimizer state is restored when the model uses the same optimizer with
// the same settings; otherwise only the weights load and the optimizer starts fresh.
#pragma once
#include <nnc/model_desc.h>
#include <nnc/nnc.h>

#include <cstdint>
#include <string>

namespace nnc::runtime {

inline constexpr uint32_t kCheckpointVersion = 2;

// Throw nnc::runtime::Error (NNC_ERR_IO or NNC_ERR_FORMAT; a mismatch is NNC_ERR_INVALID_ARGUMENT).
void save_checkpoint(const nnc_model& model, const std::string& path);
void load_checkpoint(nnc_model& model, const std::string& path);

// FNV-1a over the parameters' names and shapes and the input's shape.
uint64_t structure_hash(const nnc_model_desc& desc);

}  // namespace nnc::runtime
