// .npy parsing on arbitrary bytes, then both conversions the data loaders use.
#include "runtime/errors.h"
#include "runtime/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nnc::runtime;
    try {
        const NpyArray a = parse_npy(data, size, "'fuzz.npy'");
        if (a.data.size() != static_cast<size_t>(a.count()) * npy_item_size(a.dtype)) __builtin_trap();
        (void)a.shape_text();
        (void)a.to_floats();
        (void)a.to_classes();
    } catch (const Error&) {}
    return 0;
}
