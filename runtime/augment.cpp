#include "runtime/augment.h"

#include <algorithm>
#include <vector>

#include "runtime/initializers.h"

namespace nnc::runtime {

void augment_images(float* images, int64_t n, int64_t c, int64_t h, int64_t w, const AugmentConfig& config,
                    uint64_t seed) {
    if (!config.enabled()) return;
    Rng rng(seed);
    const int64_t plane = h * w, sample = c * plane;
    std::vector<float> copy(static_cast<size_t>(sample));
    const int64_t p = config.crop_pad;
    for (int64_t i = 0; i < n; ++i) {
        // Draw every number for the sample, used or not, so that the stream never depends on data.
        const int64_t dx = p > 0 ? static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * p + 1))) - p : 0;
        const int64_t dy = p > 0 ? static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * p + 1))) - p : 0;
        const bool mirror = config.flip && (rng.below(2) == 1);
        float* img = images + i * sample;
        std::copy_n(img, sample, copy.data());
        for (int64_t ch = 0; ch < c; ++ch) {
            for (int64_t y = 0; y < h; ++y) {
                const int64_t sy = y + dy;
                for (int64_t x = 0; x < w; ++x) {
                    const int64_t sx = (mirror ? w - 1 - x : x) + dx;
                    img[ch * plane + y * w + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w)
                                                      ? copy[static_cast<size_t>(ch * plane + sy * w + sx)]
                                                      : 0.0f;
                }
            }
        }
    }
}

}  // namespace nnc::runtime
