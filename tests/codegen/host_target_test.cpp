// The "host" target nnc compiles and JIT-runs for holds only features this CPU has: Halide 14
// calls every AVX-512 BF16 CPU Sapphire Rapids, whose code uses AVX-VNNI, and AMD Zen 4 (AVX-512
// BF16, no AVX-VNNI) then dies with SIGILL in the generated code.
#include <gtest/gtest.h>

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

// A widening int16 dot product: the pattern LLVM turns into vpdpwssd for a Sapphire Rapids target.
TEST(HostTarget, AnIntegerDotProductRunsOnThisCpu) {
    Halide::Var x;
    Halide::Func a, b, dot;
    a(x) = Halide::cast<int16_t>(x % 7 - 3);
    b(x) = Halide::cast<int16_t>(x % 5 - 2);
    Halide::RDom r(0, 2);
    dot(x) = 0;
    dot(x) += Halide::cast<int32_t>(a(2 * x + r)) * Halide::cast<int32_t>(b(2 * x + r));
    dot.vectorize(x, 16);
    dot.update().unroll(r).vectorize(x, 16);
    Halide::Buffer<int32_t> out = dot.realize({64}, nnc::codegen::host_target());
    for (int i = 0; i < 64; ++i) {
        int expected = 0;
        for (int k = 0; k < 2; ++k) expected += ((2 * i + k) % 7 - 3) * ((2 * i + k) % 5 - 2);
        ASSERT_EQ(out(i), expected) << "at " << i;
    }
}

}  // namespace
