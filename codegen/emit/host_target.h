// The Halide target for "host": what this CPU can run. Halide 14 marks any CPU with AVX-512 BF16
// as Sapphire Rapids, whose feature set includes AVX-VNNI (the VEX-encoded dot products); AMD
// Zen 4 has AVX-512 BF16 but not AVX-VNNI, so code compiled for Halide's host target there dies
// with SIGILL (vpdpwssd). Every "host" target nnc compiles or JIT-runs for goes through here.
#pragma once
#include <Halide.h>

namespace nnc::codegen {

// Halide::get_host_target() without the features this CPU lacks.
Halide::Target host_target();

// `target` with the same correction where it was resolved from "host" on this machine (its
// architecture, OS and bits are the host's); other targets are returned unchanged.
Halide::Target runnable_on_host(const Halide::Target& target);

}  // namespace nnc::codegen
