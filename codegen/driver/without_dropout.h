// The .nn source of a model with every dropout's rate set to 0, for nnc train --sanity: dropout
// is compiled into the training pipeline (its rate is no run-time value), so overfitting a tiny
// subset "with dropout off" needs a library compiled without it.
#pragma once
#include <string>

namespace nnc::driver {

// Rewrites each `dropout(x, 0.5)` / `dropout(x, rate=0.5)` / `dropout(x)` call to rate 0 and
// returns the new text; `rewritten` receives how many calls changed. Text that does not lex is
// returned unchanged (the compiler reports it).
std::string source_without_dropout(const std::string& path, const std::string& text, int* rewritten);

}  // namespace nnc::driver
