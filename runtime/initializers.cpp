#include "runtime/initializers.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace nnc::runtime {
namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// FNV-1a, 64-bit: a stable hash of a parameter name.
uint64_t fnv1a(std::string_view text) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void fill_normal(Rng& rng, double std, float* dst, int64_t count) {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(std * rng.normal());
}

// Uniform in [-bound, bound).
void fill_uniform(Rng& rng, double bound, float* dst, int64_t count) {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(bound * (2.0 * rng.uniform() - 1.0));
}

// torch.nn.init.orthogonal_ (gain 1) over [rows, cols] = [dims[0], the rest]: a standard normal
// matrix drawn row-major, transposed when it is wide, its thin QR factor Q with each column's
// sign set so that R's diagonal is positive, transposed back. Q is found by modified Gram-Schmidt
// run twice per column ("twice is enough" keeps it orthogonal to rounding); Gram-Schmidt's R
// has a positive diagonal already, which is exactly the sign correction torch applies.
void fill_orthogonal(Rng& rng, int64_t rows, int64_t cols, float* dst) {
    if (rows <= 0 || cols <= 0) return;
    std::vector<double> a(static_cast<size_t>(rows * cols));
    for (double& v : a) v = rng.normal();
    const bool wide = rows < cols;
    const int64_t m = wide ? cols : rows, n = wide ? rows : cols;  // tall: m >= n
    // Column j of the tall matrix, as a contiguous vector of m.
    std::vector<double> q(static_cast<size_t>(m * n));
    for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < m; ++i)
            q[static_cast<size_t>(j * m + i)] =
                wide ? a[static_cast<size_t>(j * cols + i)] : a[static_cast<size_t>(i * cols + j)];
    for (int64_t j = 0; j < n; ++j) {
        double* v = &q[static_cast<size_t>(j * m)];
        for (int pass = 0; pass < 2; ++pass)
            for (int64_t k = 0; k < j; ++k) {
                const double* qk = &q[static_cast<size_t>(k * m)];
                double dot = 0;
                for (int64_t i = 0; i < m; ++i) dot += qk[i] * v[i];
                for (int64_t i = 0; i < m; ++i) v[i] -= dot * qk[i];
            }
        double norm = 0;
        for (int64_t i = 0; i < m; ++i) norm += v[i] * v[i];
        norm = std::sqrt(norm);
        for (int64_t i = 0; i < m; ++i) v[i] = norm > 0 ? v[i] / norm : 0.0;
    }
    // Tall: element (i, j) is column j's entry i. Wide: the transpose, (i, j) = column i's entry j.
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            dst[i * cols + j] =
                static_cast<float>(wide ? q[static_cast<size_t>(i * m + j)] : q[static_cast<size_t>(j * m + i)]);
}

}  // namespace

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_) word = splitmix64(state);
}

uint64_t Rng::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

uint64_t Rng::below(uint64_t bound) {
    // Rejects the few low values that would bias the modulo (as OpenBSD's arc4random_uniform).
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const uint64_t x = next();
        if (x >= threshold) return x % bound;
    }
}

uint64_t stream_seed(uint64_t seed, std::string_view name) {
    uint64_t state = seed ^ fnv1a(name);
    return splitmix64(state);
}

void initialize_param(const nnc_param_desc& param, uint64_t seed, float* dst, int64_t count) {
    Rng rng(stream_seed(seed, param.name ? param.name : ""));
    const double fan_in = static_cast<double>(param.fan_in > 0 ? param.fan_in : 1);
    const double fan_sum = static_cast<double>(param.fan_in + param.fan_out > 0 ? param.fan_in + param.fan_out : 1);
    switch (param.init) {
        case NNC_INIT_ZEROS:
            for (int64_t i = 0; i < count; ++i) dst[i] = 0.0f;
            return;
        case NNC_INIT_ONES:
            for (int64_t i = 0; i < count; ++i) dst[i] = 1.0f;
            return;
        case NNC_INIT_GAUSSIAN: return fill_normal(rng, param.init_a, dst, count);
        case NNC_INIT_UNIFORM: return fill_uniform(rng, param.init_a, dst, count);
        case NNC_INIT_HE_NORMAL: return fill_normal(rng, std::sqrt(2.0 / fan_in), dst, count);
        case NNC_INIT_HE_UNIFORM: return fill_uniform(rng, std::sqrt(6.0 / fan_in), dst, count);
        case NNC_INIT_XAVIER_NORMAL: return fill_normal(rng, std::sqrt(2.0 / fan_sum), dst, count);
        case NNC_INIT_XAVIER_UNIFORM: return fill_uniform(rng, std::sqrt(6.0 / fan_sum), dst, count);
        case NNC_INIT_ORTHOGONAL: {
            const int64_t rows = param.rank >= 1 && param.dims[0] > 0 ? param.dims[0] : 1;
            return fill_orthogonal(rng, rows, count / rows, dst);
        }
    }
}

}  // namespace nnc::runtime
