#include "runtime/cli/diagnostics/input_kind.h"

namespace nnc::diagnostics {

InputKind input_kind(bool integer_ids, int rank) {
    if (rank <= 0) return InputKind::unknown;
    if (integer_ids) return InputKind::tokens;
    if (rank == 3) return InputKind::image;
    if (rank == 2) return InputKind::sequence;
    if (rank == 1) return InputKind::tabular;
    return InputKind::unknown;
}

const char* input_kind_name(InputKind kind) {
    switch (kind) {
        case InputKind::image: return "image";
        case InputKind::tokens: return "token ids";
        case InputKind::sequence: return "sequence";
        case InputKind::tabular: return "tabular";
        case InputKind::unknown: break;
    }
    return "unknown";
}

}  // namespace nnc::diagnostics
