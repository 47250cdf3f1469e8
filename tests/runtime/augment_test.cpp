// Augmentation: shifts move pixels with zeros filling in, flips mirror rows, and the same seed
// gives the same batch.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "runtime/augment.h"

namespace nnc::runtime {
namespace {

std::vector<float> ramp(int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 1.0f);  // every pixel nonzero and distinct
    return v;
}

TEST(Augment, OffLeavesTheBatchAlone) {
    std::vector<float> v = ramp(2 * 3 * 4 * 5), before = v;
    augment_images(v.data(), 2, 3, 4, 5, AugmentConfig{}, 7);
    EXPECT_EQ(v, before);
}

TEST(Augment, FlipMirrorsEveryRowOfEveryChannel) {
    // With flip only, each sample is either untouched or exactly mirrored; over 64 samples both occur.
    const int64_t n = 64, c = 2, h = 3, w = 4;
    std::vector<float> v = ramp(n * c * h * w), before = v;
    augment_images(v.data(), n, c, h, w, AugmentConfig{0, true}, 11);
    int mirrored = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* a = before.data() + i * c * h * w;
        const float* b = v.data() + i * c * h * w;
        bool same = true, flipped = true;
        for (int64_t r = 0; r < c * h; ++r)
            for (int64_t x = 0; x < w; ++x) {
                same = same && b[r * w + x] == a[r * w + x];
                flipped = flipped && b[r * w + x] == a[r * w + (w - 1 - x)];
            }
        EXPECT_TRUE(same || flipped) << "sample " << i;
        mirrored += flipped ? 1 : 0;
    }
    EXPECT_GT(mirrored, 10);
    EXPECT_LT(mirrored, 54);
}

TEST(Augment, CropShiftsWithZerosAndIsReproducible) {
    const int64_t n = 32, c = 1, h = 6, w = 6;
    const AugmentConfig crop{2, false};
    std::vector<float> v = ramp(n * c * h * w), again = v, before = v;
    augment_images(v.data(), n, c, h, w, crop, 5);
    augment_images(again.data(), n, c, h, w, crop, 5);
    EXPECT_EQ(v, again);
    int shifted = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* a = before.data() + i * h * w;
        const float* b = v.data() + i * h * w;
        // Find the shift: the value at the centre comes from (y + dy, x + dx).
        bool found = false;
        for (int dy = -2; dy <= 2 && !found; ++dy)
            for (int dx = -2; dx <= 2 && !found; ++dx) {
                bool ok = true;
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        const int sy = y + dy, sx = x + dx;
                        const float want = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? a[sy * w + sx] : 0.0f;
                        ok = ok && b[y * w + x] == want;
                    }
                if (ok) {
                    found = true;
                    shifted += (dx != 0 || dy != 0) ? 1 : 0;
                }
            }
        EXPECT_TRUE(found) << "sample " << i << " is not a shifted copy";
    }
    EXPECT_GT(shifted, 16);
    std::vector<float> other = before;
    augment_images(other.data(), n, c, h, w, crop, 6);
    EXPECT_NE(other, v);  // another batch seed, other shifts
}

}  // namespace
}  // namespace nnc::runtime
