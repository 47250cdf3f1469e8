// The seeded initializers: fixed generator, per-parameter streams, distribution statistics.
#include "runtime/initializers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using nnc::runtime::initialize_param;
using nnc::runtime::Rng;

nnc_param_desc param(const char* name, nnc_init_kind init, int64_t fan_in, int64_t fan_out, double a = 0) {
    nnc_param_desc p{};
    p.name = name;
    p.rank = 2;
    p.dims[0] = fan_in;
    p.dims[1] = fan_out;
    p.init = init;
    p.init_a = a;
    p.fan_in = fan_in;
    p.fan_out = fan_out;
    return p;
}

struct Stats {
    double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};

Stats stats_of(const std::vector<float>& v) {
    Stats s;
    for (float x : v) {
        s.mean += x;
        s.min = std::min<double>(s.min, x);
        s.max = std::max<double>(s.max, x);
    }
    s.mean /= static_cast<double>(v.size());
    for (float x : v) s.std += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(s.std / static_cast<double>(v.size()));
    return s;
}

std::vector<float> init(const nnc_param_desc& p, uint64_t seed) {
    std::vector<float> v(static_cast<size_t>(p.dims[0] * p.dims[1]));
    initialize_param(p, seed, v.data(), static_cast<int64_t>(v.size()));
    return v;
}

TEST(Initializers, GeneratorIsTheDocumentedXoshiro) {
    // splitmix64 from 0 gives the published first output 0xe220a8397b1dcdaf.
    uint64_t state = 0;
    EXPECT_EQ(nnc::runtime::splitmix64(state), 0xe220a8397b1dcdafULL);
    // Pinned outputs: a change here changes every model's initial weights.
    Rng a(1), b(1), c(2);
    const uint64_t first = a.next();
    EXPECT_EQ(first, b.next());
    EXPECT_NE(first, c.next());
    for (int i = 0; i < 1000; ++i) {
        const double u = a.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        ASSERT_LT(a.below(7), 7u);
    }
}

TEST(Initializers, HeNormalHasTheRightStd) {
    const nnc_param_desc p = param("big.weight", NNC_INIT_HE_NORMAL, 500, 400);
    const Stats s = stats_of(init(p, 3));
    const double want = std::sqrt(2.0 / 500);
    // 200000 samples: the standard error of the std is ~0.16%, of the mean ~0.0002 std.
    EXPECT_NEAR(s.std, want, 0.01 * want);
    EXPECT_NEAR(s.mean, 0.0, 0.01 * want);
}

TEST(Initializers, XavierAndHeUniformStayInBounds) {
    const nnc_param_desc he = param("he.weight", NNC_INIT_HE_UNIFORM, 300, 200);
    const Stats h = stats_of(init(he, 3));
    const double bound = std::sqrt(6.0 / 300);
    EXPECT_GE(h.min, -bound);
    EXPECT_LE(h.max, bound);
    EXPECT_NEAR(h.std, bound / std::sqrt(3.0), 0.01 * bound);  // uniform std = bound / sqrt(3)

    const nnc_param_desc xavier = param("x.weight", NNC_INIT_XAVIER_NORMAL, 300, 200);
    EXPECT_NEAR(stats_of(init(xavier, 3)).std, std::sqrt(2.0 / 500), 0.01 * std::sqrt(2.0 / 500));

    const nnc_param_desc gauss = param("g.weight", NNC_INIT_GAUSSIAN, 300, 200, 0.05);
    EXPECT_NEAR(stats_of(init(gauss, 3)).std, 0.05, 0.0005);
}

TEST(Initializers, EachParameterHasItsOwnStream) {
    // The same name and seed give the same values regardless of what else the model holds.
    const nnc_param_desc a = param("fc1.weight", NNC_INIT_HE_NORMAL, 10, 10);
    const nnc_param_desc b = param("fc2.weight", NNC_INIT_HE_NORMAL, 10, 10);
    EXPECT_EQ(init(a, 5), init(a, 5));
    EXPECT_NE(init(a, 5), init(b, 5));
    EXPECT_NE(init(a, 5), init(a, 6));
}

// Rows (wide) or columns (tall) of the result are orthonormal, and it is the sign-corrected QR
// factor of the seeded Gaussian draw, as torch.nn.init.orthogonal_: R = Q^T A is upper triangular
// with a positive diagonal.
void expect_orthogonal_factor(int64_t rows, int64_t cols) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    nnc_param_desc p = param("rnn.weight_hh", NNC_INIT_ORTHOGONAL, rows, cols);
    const std::vector<float> q = init(p, 11);
    const bool wide = rows < cols;
    const int64_t m = wide ? cols : rows, n = wide ? rows : cols;
    // Element i of the tall factor's column j.
    auto at = [&](const std::vector<float>& v, int64_t i, int64_t j) {
        return static_cast<double>(wide ? v[static_cast<size_t>(j * cols + i)] : v[static_cast<size_t>(i * cols + j)]);
    };
    for (int64_t j = 0; j < n; ++j)
        for (int64_t k = 0; k < n; ++k) {
            double dot = 0;
            for (int64_t i = 0; i < m; ++i) dot += at(q, i, j) * at(q, i, k);
            ASSERT_NEAR(dot, j == k ? 1.0 : 0.0, 1e-5) << "columns " << j << ", " << k;
        }
    // The same draw the initializer made: its stream, row-major.
    Rng rng(nnc::runtime::stream_seed(11, "rnn.weight_hh"));
    std::vector<float> a(static_cast<size_t>(rows * cols));
    for (float& v : a) v = static_cast<float>(rng.normal());
    for (int64_t j = 0; j < n; ++j)
        for (int64_t k = 0; k < n; ++k) {
            double r = 0;  // R(j, k) = column j of Q . column k of A
            for (int64_t i = 0; i < m; ++i) r += at(q, i, j) * at(a, i, k);
            if (j > k) {
                EXPECT_NEAR(r, 0.0, 1e-4) << "R(" << j << ", " << k << ")";
            }
            if (j == k) {
                EXPECT_GT(r, 0.1) << "R(" << j << ", " << j << ")";
            }
        }
}

TEST(Initializers, OrthogonalIsTheSignCorrectedQrFactor) {
    expect_orthogonal_factor(16, 64);  // [H, 4H]: an lstm's weight_hh, orthonormal rows
    expect_orthogonal_factor(40, 12);  // tall: orthonormal columns
    expect_orthogonal_factor(24, 24);  // square: orthogonal
}

TEST(Initializers, ConstantInitializers) {
    EXPECT_EQ(init(param("z", NNC_INIT_ZEROS, 3, 3), 1), std::vector<float>(9, 0.0f));
    EXPECT_EQ(init(param("o", NNC_INIT_ONES, 3, 3), 1), std::vector<float>(9, 1.0f));
}

}  // namespace
