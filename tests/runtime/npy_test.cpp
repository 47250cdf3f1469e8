// The .npy reader and writer: every supported dtype and header version, numpy interop both ways,
// and each malformed file's error with its byte offset.
#include "runtime/npy.h"
#include "runtime/errors.h"
#include "tests/runtime/test_support.h"

#include <cstring>

namespace {

using nnc::runtime::NpyArray;
using nnc::runtime::NpyDtype;
using nnc::runtime::parse_npy;

// A .npy file by hand: `header` is the dict text, padded here, then `data`.
std::vector<uint8_t> npy(const std::string& header, const std::vector<uint8_t>& data, int major = 1) {
    std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
    std::string h = header;
    const size_t prefix = major == 1 ? 10 : 12;
    while ((prefix + h.size() + 1) % 64) h += ' ';
    h += '\n';
    for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out.push_back(static_cast<uint8_t>(h.size() >> (8 * i)));
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

template <class T>
std::vector<uint8_t> raw(const std::vector<T>& v) {
    std::vector<uint8_t> out(v.size() * sizeof(T));
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

std::string dict(const std::string& descr, const std::string& shape, const char* order = "False") {
    return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }";
}

void expect_error(const std::vector<uint8_t>& bytes, const std::string& text) {
    try {
        parse_npy(bytes.data(), bytes.size(), "'x.npy'");
        ADD_FAILURE() << "no error; expected: " << text;
    } catch (const nnc::runtime::Error& e) {
        EXPECT_EQ(e.status(), NNC_ERR_FORMAT);
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("'x.npy'", 0), 0u) << e.what();
    }
}

TEST(Npy, ReadsEverySupportedDtypeAndVersion) {
    for (int major : {1, 2, 3}) {
        const auto f4 = npy(dict("<f4", "(2, 3)"), raw<float>({1, 2, 3, 4, 5, 6.5f}), major);
        const NpyArray a = parse_npy(f4.data(), f4.size(), "'x.npy'");
        EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
        EXPECT_EQ(a.to_floats(), (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
    }
    const auto f8 = npy(dict("<f8", "(2,)"), raw<double>({0.1, -2}));
    EXPECT_EQ(parse_npy(f8.data(), f8.size(), "x").to_floats(), (std::vector<float>{0.1f, -2}));
    const auto i4 = npy(dict("<i4", "(3,)"), raw<int32_t>({0, 7, 2}));
    EXPECT_EQ(parse_npy(i4.data(), i4.size(), "x").to_classes(), (std::vector<int32_t>{0, 7, 2}));
    const auto i8 = npy(dict("<i8", "(2,)"), raw<int64_t>({9, 1}));
    EXPECT_EQ(parse_npy(i8.data(), i8.size(), "x").to_classes(), (std::vector<int32_t>{9, 1}));
    const auto u1 = npy(dict("|u1", "(1, 2)"), {255, 3});
    EXPECT_EQ(parse_npy(u1.data(), u1.size(), "x").to_floats(), (std::vector<float>{255, 3}));
    // Keys in any order, double quotes, a scalar, an empty array.
    const auto odd = npy("{\"shape\": (), \"fortran_order\": False, \"descr\": \"<f4\"}", raw<float>({4}));
    const NpyArray scalar = parse_npy(odd.data(), odd.size(), "x");
    EXPECT_TRUE(scalar.shape.empty());
    EXPECT_EQ(scalar.to_floats(), (std::vector<float>{4}));
    const auto empty = npy(dict("<f4", "(0, 5)"), {});
    EXPECT_EQ(parse_npy(empty.data(), empty.size(), "x").count(), 0);
}

TEST(Npy, WritesWhatItReads) {
    TempDir dir;
    const std::vector<float> values = {1, -2, 3.25f, 1e-30f, 5, 6};
    nnc::runtime::write_npy(dir.file("a.npy"), nnc::runtime::make_npy({3, 2}, values.data()));
    const auto bytes = read_bytes(dir.file("a.npy"));
    EXPECT_EQ((bytes.size() - values.size() * 4) % 64, 0u);  // the data starts 64-byte aligned
    const NpyArray back = nnc::runtime::read_npy(dir.file("a.npy"));
    EXPECT_EQ(back.dtype, NpyDtype::F4);
    EXPECT_EQ(back.shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(back.to_floats(), values);
    const std::vector<int32_t> labels = {3, 1, 4};
    nnc::runtime::write_npy(dir.file("l.npy"), nnc::runtime::make_npy({3}, labels.data()));
    EXPECT_EQ(nnc::runtime::read_npy(dir.file("l.npy")).to_classes(), labels);
}

TEST(Npy, MalformedFilesNameTheOffset) {
    expect_error({}, "is empty");
    expect_error({'P', 'K', 3, 4, 0, 0, 0, 0}, "at byte offset 0: not a NumPy .npy file");
    auto bad_version = npy(dict("<f4", "(1,)"), raw<float>({1}));
    bad_version[6] = 4;
    expect_error(bad_version, "at byte offset 6: format version 4.0 is not supported");
    auto long_header = npy(dict("<f4", "(1,)"), raw<float>({1}));
    long_header.resize(40);
    expect_error(long_header, "at byte offset 8: the header length is 118 bytes but only 30 follow");
    expect_error(
        npy(dict("<f4", "(2, 3)"), raw<float>({1, 2, 3, 4, 5})),
        "at byte offset 148: the data ends early: shape (2, 3) of <f4 needs 24 bytes from offset 128 but 20 follow");
    expect_error(npy(dict("<f4", "(1,)"), raw<float>({1, 2})), "at byte offset 132: 4 unexpected bytes after the data");
    expect_error(npy(dict("<f4", "(2, 2)", "True"), raw<float>({1, 2, 3, 4})),
                 "Fortran (column-major) order; nnc reads C order: save numpy.ascontiguousarray(arr)");
    expect_error(npy(dict(">f4", "(1,)"), raw<float>({1})), "at byte offset 20: element type '>f4' is not supported");
    expect_error(npy(dict(">f4", "(1,)"), raw<float>({1})), "big-endian");
    expect_error(npy(dict("<f2", "(1,)"), {0, 0}),
                 "element type '<f2' is not supported ('<f4', '<f8', '<i4', '<i8' or '|u1')");
    expect_error(npy("{'descr': '<f4', 'fortran_order': False}", raw<float>({1})), "the header lacks 'shape'");
    expect_error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (a,)}", {}),
                 "at byte offset 61: expected a non-negative integer in 'shape'");
    expect_error(npy("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,)}", {}), "expected True or False");
    expect_error(npy("{'descr': '<f4', 'extra': 1}", {}), "at byte offset 27: unknown header key 'extra'");
    expect_error(npy(dict("<f4", "(99999999999, 99999999999)"), {}), "the data ends early");
}

TEST(Npy, ClassIndicesMustBeWholeAndNonNegative) {
    const auto f = npy(dict("<f4", "(3,)"), raw<float>({1, 2.5f, 3}));
    try {
        parse_npy(f.data(), f.size(), "'y.npy'").to_classes();
        ADD_FAILURE();
    } catch (const nnc::runtime::Error& e) {
        EXPECT_STREQ(e.what(), "'y.npy' at byte offset 132: element 1 is 2.5, not a class index (a whole number >= 0)");
    }
}

// numpy reads what nnc writes and nnc reads what numpy writes (skipped without python3-numpy).
TEST(Npy, InteroperatesWithNumpy) {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "python3 with numpy not found";
    TempDir dir;
    const std::vector<float> values = {1.5f, -2, 3, 4};
    nnc::runtime::write_npy(dir.file("nnc.npy"), nnc::runtime::make_npy({2, 2}, values.data()));
    const std::string script =
        "import numpy as np, sys\n"
        "d = sys.argv[1]\n"
        "a = np.load(d + '/nnc.npy')\n"
        "assert a.dtype == np.float32 and a.shape == (2, 2) and a.tolist() == [[1.5, -2], [3, 4]], a\n"
        "np.save(d + '/f8.npy', np.arange(6, dtype='<f8').reshape(2, 3) / 4)\n"
        "np.save(d + '/i8.npy', np.array([[1, 2], [3, 4]], dtype='<i8'))\n"
        "np.lib.format.write_array(open(d + '/v2.npy', 'wb'), np.ones((2,), 'f4'), version=(2, 0))\n"
        "np.lib.format.write_array(open(d + '/v3.npy', 'wb'), np.ones((2,), 'u1'), version=(3, 0))\n"
        "np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), 'f4')))\n";
    write_bytes(dir.file("s.py"), std::vector<unsigned char>(script.begin(), script.end()));
    ASSERT_EQ(std::system(("/usr/bin/python3 " + dir.file("s.py") + " " + dir.path().string()).c_str()), 0);
    const NpyArray f8 = nnc::runtime::read_npy(dir.file("f8.npy"));
    EXPECT_EQ(f8.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(f8.to_floats(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1, 1.25f}));
    EXPECT_EQ(nnc::runtime::read_npy(dir.file("i8.npy")).to_classes(), (std::vector<int32_t>{1, 2, 3, 4}));
    EXPECT_EQ(nnc::runtime::read_npy(dir.file("v2.npy")).to_floats(), (std::vector<float>{1, 1}));
    EXPECT_EQ(nnc::runtime::read_npy(dir.file("v3.npy")).to_floats(), (std::vector<float>{1, 1}));
    EXPECT_THROW(nnc::runtime::read_npy(dir.file("fortran.npy")), nnc::runtime::Error);
}

}  // namespace
