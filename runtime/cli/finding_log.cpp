#include "runtime/cli/finding_log.h"

#include <cstdio>

#include "runtime/cli/metrics_schema.h"

namespace nnc::driver {

void print_and_log(const nnc::diagnostics::Finding& f, RunFolder& folder) {
    std::fputs(nnc::diagnostics::format_finding(f).c_str(), stderr);
    folder.log(metrics::to_json(metrics::DiagnosisLine{f.epoch, f.code, nnc::diagnostics::severity_name(f.severity),
                                                       f.subject, f.message, f.advice}));
}

}  // namespace nnc::driver
