// On-the-fly image augmentation for training batches: random crop with zero padding and
// horizontal flip, as torchvision's RandomCrop(size, padding=p) and RandomHorizontalFlip().
// Draws come from `seed`, which the training loop derives from (run seed, epoch, batch), so an
// augmented run is reproducible and resumes exactly.
#pragma once
#include <cstdint>

namespace nnc::runtime {

struct AugmentConfig {
    int crop_pad = 0;   // > 0: shift each image by up to this many pixels, zeros filling in
    bool flip = false;  // mirror each image left-right with probability 1/2
    bool enabled() const { return crop_pad > 0 || flip; }
};

// `images` is (n, c, h, w) row-major, changed in place.
void augment_images(float* images, int64_t n, int64_t c, int64_t h, int64_t w, const AugmentConfig& config,
                    uint64_t seed);

}  // namespace nnc::runtime
