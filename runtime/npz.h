// NumPy .npz archives — a zip of .npy files, as numpy.savez writes — and a model's parameters
// exported to / imported from one, each array named after its parameter ("fc1.weight", stored as
// the member "fc1.weight.npy", so np.load(path)["fc1.weight"] reads it).
//
// Reading accepts stored and deflated members (numpy.savez and savez_compressed), zip64 fields
// included, and checks every member's CRC-32. Writing stores members uncompressed (parameters
// compress poorly). Only zlib is used, so model.so keeps needing nothing beyond libc, libstdc++
// and zlib. Errors name the archive, the member and the byte offset. Throws nnc::runtime::Error.
#pragma once
#include "runtime/npy.h"

#include <nnc/nnc.h>

#include <string>
#include <vector>

namespace nnc::runtime {

struct NpzEntry {
    std::string name;  // without ".npy"
    NpyArray array;
};

std::vector<NpzEntry> read_npz(const std::string& path);
std::vector<uint8_t> npz_bytes(const std::vector<NpzEntry>& entries);
// Writes atomically: no partial file on failure.
void write_npz(const std::string& path, const std::vector<NpzEntry>& entries);

// Every parameter as a '<f4' array of its shape, named as the model names it.
void export_params_npz(const nnc_model& model, const std::string& path);
// Sets every parameter from the array of the same name ('<f4' or '<f8', the parameter's shape).
// Checks the whole archive first — every parameter present with its shape, no unknown names —
// and changes nothing on failure. Resets the optimizer state, as loading a checkpoint does.
void import_params_npz(nnc_model& model, const std::string& path);

}  // namespace nnc::runtime
