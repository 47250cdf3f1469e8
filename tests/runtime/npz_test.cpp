// .npz archives: round trips, numpy interop (savez and savez_compressed), corrupt archives, and a
// model's parameters exported and imported by name.
#include "runtime/npz.h"
#include "runtime/errors.h"
#include "runtime/model.h"
#include "tests/runtime/fake_model.h"
#include "tests/runtime/test_support.h"

namespace {

using nnc::runtime::NpzEntry;

std::vector<float> all_params(const nnc_model* m) {
    std::vector<float> out;
    for (int p = 0; p < nnc_model_num_params(m); ++p) {
        const std::vector<float> v = get_param(m, p);
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

// `fn` throws an Error whose message contains every one of `texts`.
template <class Fn>
void expect_error(Fn fn, std::initializer_list<std::string> texts) {
    try {
        fn();
        ADD_FAILURE() << "no error";
    } catch (const nnc::runtime::Error& e) {
        for (const std::string& t : texts) EXPECT_NE(std::string(e.what()).find(t), std::string::npos) << e.what();
    }
}

class NpzTest : public ::testing::Test {
protected:
    void SetUp() override { use_fake_model(FakeModel::classifier); }
    TempDir dir;
};

TEST_F(NpzTest, ArchivesRoundTrip) {
    const std::vector<float> a = {1, 2, 3, 4, 5, 6};
    const std::vector<int32_t> b = {7, 8};
    nnc::runtime::write_npz(dir.file("x.npz"), {NpzEntry{"layer.w", nnc::runtime::make_npy({2, 3}, a.data())},
                                                NpzEntry{"b", nnc::runtime::make_npy({2}, b.data())}});
    const std::vector<NpzEntry> back = nnc::runtime::read_npz(dir.file("x.npz"));
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].name, "layer.w");
    EXPECT_EQ(back[0].array.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(back[0].array.to_floats(), a);
    EXPECT_EQ(back[1].name, "b");
    EXPECT_EQ(back[1].array.to_classes(), b);
}

TEST_F(NpzTest, ModelParametersExportAndImportByName) {
    ModelPtr a = create_model(), b = create_model();
    ASSERT_EQ(nnc_model_init(a.get(), 1), NNC_OK);
    ASSERT_EQ(nnc_model_init(b.get(), 2), NNC_OK);
    nnc::runtime::export_params_npz(*a, dir.file("p.npz"));
    const std::vector<NpzEntry> entries = nnc::runtime::read_npz(dir.file("p.npz"));
    ASSERT_EQ(static_cast<int>(entries.size()), nnc_model_num_params(a.get()));
    const char* name = nullptr;
    int rank = 0;
    const int64_t* dims = nullptr;
    ASSERT_EQ(nnc_model_param_info(a.get(), 0, &name, &rank, &dims), NNC_OK);
    EXPECT_EQ(entries[0].name, name);
    EXPECT_EQ(entries[0].array.shape, std::vector<int64_t>(dims, dims + rank));

    ASSERT_NE(all_params(a.get()), all_params(b.get()));
    nnc::runtime::import_params_npz(*b, dir.file("p.npz"));
    EXPECT_EQ(all_params(a.get()), all_params(b.get()));
}

TEST_F(NpzTest, ImportChecksEveryArrayBeforeChangingTheModel) {
    ModelPtr m = create_model();
    ASSERT_EQ(nnc_model_init(m.get(), 3), NNC_OK);
    const std::vector<float> before = all_params(m.get());
    const std::vector<NpzEntry> good = [&] {
        nnc::runtime::export_params_npz(*m, dir.file("good.npz"));
        return nnc::runtime::read_npz(dir.file("good.npz"));
    }();
    const std::string path = dir.file("bad.npz");

    std::vector<NpzEntry> missing = {good[0]};
    nnc::runtime::write_npz(path, missing);
    expect_error(
        [&] { nnc::runtime::import_params_npz(*m, path); },
        {path, "does not fit model", "it has no array '" + good[1].name + "' (it holds '" + good[0].name + "')"});

    std::vector<NpzEntry> reshaped = good;
    reshaped[0].array.shape = {reshaped[0].array.count()};
    nnc::runtime::write_npz(path, reshaped);
    expect_error([&] { nnc::runtime::import_params_npz(*m, path); },
                 {"array '" + good[0].name + "' has shape (12,) but"});

    std::vector<NpzEntry> extra = good;
    extra.push_back(NpzEntry{"other.weight", good[1].array});
    nnc::runtime::write_npz(path, extra);
    expect_error([&] { nnc::runtime::import_params_npz(*m, path); },
                 {"arrays the model does not have: 'other.weight'"});

    EXPECT_EQ(all_params(m.get()), before);
}

TEST_F(NpzTest, CorruptArchivesNameTheOffset) {
    const std::vector<float> a = {1, 2, 3, 4};
    nnc::runtime::write_npz(dir.file("x.npz"), {NpzEntry{"w", nnc::runtime::make_npy({4}, a.data())}});
    const std::vector<unsigned char> bytes = read_bytes(dir.file("x.npz"));
    const std::string path = dir.file("bad.npz");

    write_bytes(path, {'n', 'o', 't'});
    expect_error([&] { nnc::runtime::read_npz(path); }, {path, "at byte offset 0: not a zip archive"});
    write_bytes(path, std::vector<unsigned char>(bytes.begin(), bytes.begin() + 100));
    expect_error([&] { nnc::runtime::read_npz(path); }, {"no end-of-central-directory record"});
    std::vector<unsigned char> flipped = bytes;
    flipped[40 + 128] ^= 0x40;  // a byte of the array's data
    write_bytes(path, flipped);
    expect_error([&] { nnc::runtime::read_npz(path); }, {"CRC-32 mismatch in member 'w.npy'"});
    expect_error([&] { nnc::runtime::read_npz(dir.file("none.npz")); }, {"cannot open .npz archive", "none.npz"});
}

// numpy reads what nnc exports; nnc reads numpy's savez and savez_compressed (skipped without numpy).
TEST_F(NpzTest, InteroperatesWithNumpy) {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "python3 with numpy not found";
    ModelPtr m = create_model();
    ASSERT_EQ(nnc_model_init(m.get(), 5), NNC_OK);
    nnc::runtime::export_params_npz(*m, dir.file("p.npz"));
    const std::vector<float> w = get_param(m.get(), 0);
    const std::string script =
        "import numpy as np, sys\n"
        "d = sys.argv[1]\n"
        "p = np.load(d + '/p.npz')\n"
        "assert sorted(p.files) == ['fc.bias', 'fc.weight'], p.files\n"
        "assert p['fc.weight'].dtype == np.float32 and p['fc.weight'].shape == (4, 3)\n"
        "np.savetxt(d + '/w.txt', p['fc.weight'].reshape(-1), fmt='%.9g')\n"
        "np.savez(d + '/plain.npz', **{'fc.weight': p['fc.weight'] * 2, 'fc.bias': p['fc.bias'].astype('f8')})\n"
        "np.savez_compressed(d + '/packed.npz', **{'fc.weight': p['fc.weight'] * 3, 'fc.bias': p['fc.bias']})\n"
        "np.savez(d + '/fortran.npz', a=np.asfortranarray(np.ones((2, 2), 'f4')))\n";
    write_bytes(dir.file("s.py"), std::vector<unsigned char>(script.begin(), script.end()));
    ASSERT_EQ(std::system(("/usr/bin/python3 " + dir.file("s.py") + " " + dir.path().string()).c_str()), 0);

    const auto text = read_bytes(dir.file("w.txt"));
    std::vector<float> from_numpy;
    std::string line;
    for (unsigned char c : text) {
        if (c == '\n') {
            from_numpy.push_back(std::stof(line));
            line.clear();
        } else {
            line += static_cast<char>(c);
        }
    }
    EXPECT_EQ(from_numpy, w);
    for (const auto& [file, factor] : {std::pair{"plain.npz", 2.0f}, std::pair{"packed.npz", 3.0f}}) {
        ModelPtr other = create_model();
        ASSERT_EQ(nnc_model_init(other.get(), 6), NNC_OK);
        nnc::runtime::import_params_npz(*other, dir.file(file));
        const std::vector<float> got = get_param(other.get(), 0);
        for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(got[i], w[i] * factor) << file << " " << i;
        EXPECT_EQ(get_param(other.get(), 1), get_param(m.get(), 1)) << file;
    }
    // A bad member is named with its archive.
    expect_error([&] { nnc::runtime::read_npz(dir.file("fortran.npz")); },
                 {dir.file("fortran.npz") + "' member 'a.npy' at byte offset", "Fortran"});
}

}  // namespace
