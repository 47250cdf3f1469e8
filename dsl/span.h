// A located extent on one line: what a caret and its ~~~ underline cover.
#pragma once
#include "dsl/source.h"

namespace nnc::dsl {

struct Span {
    Location loc;
    int length = 1;  // bytes on loc.line; at least 1 so there is always a caret
};

}  // namespace nnc::dsl
