#include "codegen/emit/host_target.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace nnc::codegen {
namespace {

bool cpu_has_avx_vnni() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    return (a >> 4) & 1u;  // CPUID.(EAX=7,ECX=1):EAX bit 4
#else
    return false;
#endif
}

}  // namespace

Halide::Target runnable_on_host(const Halide::Target& target) {
    const Halide::Target host = Halide::get_host_target();
    if (target.arch != host.arch || target.os != host.os || target.bits != host.bits) return target;
    if (target.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpu_has_avx_vnni())
        return target.without_feature(Halide::Target::AVX512_SapphireRapids);
    return target;
}

Halide::Target host_target() { return runnable_on_host(Halide::get_host_target()); }

}  // namespace nnc::codegen
