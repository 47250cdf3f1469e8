// IDX images and labels (plain or gzip: zlib decides) on arbitrary bytes. A loader may only throw
// nnc::runtime::Error; anything else (another exception, a crash, a sanitizer report, an
// allocation past libFuzzer's -malloc_limit_mb) is a finding.
#include "runtime/errors.h"
#include "runtime/idx_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = nnc::fuzz::scratch_path(".idx");
    nnc::fuzz::write_scratch(path, data, size);
    try {
        nnc::runtime::read_idx_images(path);
    } catch (const nnc::runtime::Error&) {}
    try {
        nnc::runtime::read_idx_labels(path);
    } catch (const nnc::runtime::Error&) {}
    return 0;
}
