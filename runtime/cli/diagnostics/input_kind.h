// What a model reads, as far as remedies care: an augmentation that mirrors images is no help to a
// one-feature regressor, nor is standardizing token ids. Known from the model's input (its element
// type and per-sample shape); each remedy says which kinds it fits.
#pragma once
#include <cstdint>

namespace nnc::diagnostics {

enum class InputKind {
    unknown,   // not told: remedies that fit only some kinds are left out
    image,     // float [C, H, W]: what nnc train's --augment-flip/--augment-crop transform
    tokens,    // int32 ids (a sequence of them): embedding models
    sequence,  // float [T, F] (or [C, L]): steps of feature vectors
    tabular,   // float [F]: a row of features
};

// From the input's element type and per-sample rank (batch excluded).
InputKind input_kind(bool integer_ids, int rank);

const char* input_kind_name(InputKind kind);  // "image", "token ids", "sequence", "tabular", "unknown"

// A set of kinds a remedy fits.
using InputKinds = uint32_t;
constexpr InputKinds kind_bit(InputKind k) { return 1u << static_cast<unsigned>(k); }
constexpr InputKinds kAnyInput = ~0u;
constexpr InputKinds kImages = kind_bit(InputKind::image);
constexpr InputKinds kFloatInputs =
    kind_bit(InputKind::image) | kind_bit(InputKind::sequence) | kind_bit(InputKind::tabular);

// Whether a remedy for `fits` applies to `kind` (a remedy for every kind fits unknown inputs too).
constexpr bool fits(InputKinds fits_kinds, InputKind kind) {
    return fits_kinds == kAnyInput || (kind != InputKind::unknown && (fits_kinds & kind_bit(kind)) != 0);
}

}  // namespace nnc::diagnostics
