#include "runtime/cli/finding_log.h"

#include <cstdio>

namespace nnc::driver {

void print_and_log(const nnc::diagnostics::Finding& f, RunFolder& folder) {
    std::fputs(nnc::diagnostics::format_finding(f).c_str(), stderr);
    folder.log({{"type", "diagnosis"},
                {"epoch", f.epoch},
                {"code", f.code},
                {"severity", nnc::diagnostics::severity_name(f.severity)},
                {"subject", f.subject},
                {"message", f.message},
                {"advice", f.advice}});
}

}  // namespace nnc::driver
