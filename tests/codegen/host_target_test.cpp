// The "host" target nnc compiles and JIT-runs for holds only features this CPU has: Halide 14
// calls every AVX-512 BF16 CPU Sapphire Rapids, whose code uses AVX-VNNI, and AMD Zen 4 (AVX-512
// BF16, no AVX-VNNI) then dies with SIGILL in the generated code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "codegen/emit/host_target.h"

namespace {

TEST(HostTarget, HasSapphireRapidsFeaturesOnlyWhereTheCpuRunsAvxVnni) {
    const Halide::Target target = nnc::codegen::host_target();
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avxvnni"))
        EXPECT_FALSE(target.has_feature(Halide::Target::AVX512_SapphireRapids)) << target.to_string();
    else
        EXPECT_EQ(target.has_feature(Halide::Target::AVX512_SapphireRapids),
                  Halide::get_host_target().has_feature(Halide::Target::AVX512_SapphireRapids));
#endif
    EXPECT_EQ(target.arch, Halide::get_host_target().arch);
}

TEST(HostTarget, OtherMachinesTargetsAreLeftAsNamed) {
    const Halide::Target arm("arm-64-linux");
    EXPECT_EQ(nnc::codegen::runnable_on_host(arm), arm);
}

// A widening int16 dot product accumulated over pairs, 8 lanes wide: for a Sapphire Rapids target
// Halide 14 makes it vpdpwssd on ymm registers, which LLVM encodes as AVX-VNNI ("{vex}
// vpdpwssd"), the instruction that is illegal on a CPU with AVX-512 VNNI but not AVX-VNNI.
Halide::Func dot_product() {
    Halide::Var x("x"), xo("xo"), xi("xi");
    Halide::Func a("a"), b("b"), dot("dot");
    a(x) = Halide::cast<int16_t>(x % 7 - 3);
    b(x) = Halide::cast<int16_t>(x % 5 - 2);
    a.compute_root();
    b.compute_root();
    Halide::RDom r(0, 2);
    dot(x) = x;
    dot(x) += Halide::cast<int32_t>(a(2 * x + r)) * Halide::cast<int32_t>(b(2 * x + r));
    Halide::RVar rxi("rxi");
    dot.vectorize(x, 8);
    dot.update().atomic().split(x, xo, xi, 8).fuse(r, xi, rxi).vectorize(rxi);
    return dot;
}

// Whether the code Halide generates for `target` uses AVX-VNNI (a VEX-encoded vpdpwssd).
bool uses_avx_vnni(const Halide::Target& target) {
    const std::filesystem::path s =
        std::filesystem::temp_directory_path() / ("nnc_host_target_" + std::to_string(::getpid()) + ".s");
    dot_product().compile_to_assembly(s.string(), {}, "dot", target);
    std::ifstream in(s);
    bool found = false;
    for (std::string line; std::getline(in, line);)
        found = found || (line.find("{vex}") != std::string::npos && line.find("vpdpwssd") != std::string::npos);
    std::filesystem::remove(s);
    return found;
}

TEST(HostTarget, AnIntegerDotProductRunsOnThisCpu) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    const bool cpu_has_avx_vnni = __builtin_cpu_supports("avxvnni");
    // Halide's own host target uses AVX-VNNI wherever it assumes Sapphire Rapids: the pattern
    // reaches the instruction, so its absence below is the correction's doing.
    const Halide::Target halide_host = Halide::get_host_target();
    if (halide_host.has_feature(Halide::Target::AVX512_SapphireRapids)) {
        EXPECT_TRUE(uses_avx_vnni(halide_host));
    }
    const Halide::Target nnc_host = nnc::codegen::host_target();
    if (!cpu_has_avx_vnni) {
        EXPECT_FALSE(uses_avx_vnni(nnc_host)) << nnc_host.to_string();
    } else {  // nothing to take away: the same code as Halide's
        EXPECT_EQ(uses_avx_vnni(nnc_host), uses_avx_vnni(halide_host)) << nnc_host.to_string();
    }
#endif
    Halide::Buffer<int32_t> out = dot_product().realize({64}, nnc::codegen::host_target());
    for (int i = 0; i < 64; ++i) {
        int expected = i;
        for (int k = 0; k < 2; ++k) expected += ((2 * i + k) % 7 - 3) * ((2 * i + k) % 5 - 2);
        ASSERT_EQ(out(i), expected) << "at " << i;
    }
}

}  // namespace
