// .npz archives (zip of .npy members: stored or deflated, zip64, CRC-checked) on arbitrary bytes.
#include "runtime/errors.h"
#include "runtime/npz.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = nnc::fuzz::scratch_path(".npz");
    nnc::fuzz::write_scratch(path, data, size);
    try {
        nnc::runtime::read_npz(path);
    } catch (const nnc::runtime::Error&) {}
    return 0;
}
