#include "runtime/cli/loaded_model.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstring>
#include <fstream>

#include <stdexcept>

namespace nnc::driver {

namespace {

// dlopen maps a library's segments as its headers describe them: a truncated file then dies with
// SIGBUS on first touch instead of failing. Check that every loadable segment lies inside the file.
void check_elf_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return;  // dlopen reports it
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    Elf64_Ehdr eh{};
    const std::string bad = path + " is not a complete shared library (";
    if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return;  // not ELF64: dlopen says what it is
    if (eh.e_phoff > size || uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > size - eh.e_phoff)
        throw std::runtime_error(bad + "its program headers end past its " + std::to_string(size) +
                                 " bytes); it is truncated: rebuild it with nnc");
    for (int i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        in.seekg(static_cast<std::streamoff>(eh.e_phoff + uint64_t(i) * sizeof ph));
        in.read(reinterpret_cast<char*>(&ph), sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
            throw std::runtime_error(bad + "segment " + std::to_string(i) + " ends at byte " +
                                     std::to_string(ph.p_offset + ph.p_filesz) + ", the file has " +
                                     std::to_string(size) + "); it is truncated: rebuild it with nnc");
    }
}

}  // namespace

LoadedModel::LoadedModel(const std::string& path) {
    check_elf_file(path);
    // RTLD_LOCAL: each model keeps its own runtime and Halide runtime.
    handle_ = dlopen(path.find('/') == std::string::npos ? ("./" + path).c_str() : path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error("cannot load model library " + path + ": " + dlerror());
#define NNC_RESOLVE(name)                                                                                    \
    name = reinterpret_cast<decltype(name)>(dlsym(handle_, #name));                                          \
    if (!name) {                                                                                             \
        dlclose(handle_);                                                                                    \
        throw std::runtime_error(path + " is not an nnc model library (no " #name "); rebuild it with nnc"); \
    }
    NNC_ABI_FUNCTIONS(NNC_RESOLVE)
#undef NNC_RESOLVE
    if (nnc_abi_version() != NNC_ABI_VERSION)
        throw std::runtime_error(path + " was built for nnc ABI v" + std::to_string(nnc_abi_version()) +
                                 ", this nnc speaks v" + std::to_string(NNC_ABI_VERSION) + "; rebuild it");
}

LoadedModel::~LoadedModel() {
    if (handle_) dlclose(handle_);
}

void LoadedModel::check(nnc_status status, const std::string& what) const {
    if (status != NNC_OK) throw std::runtime_error(what + ": " + nnc_last_error());
}

}  // namespace nnc::driver
