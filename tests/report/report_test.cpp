// nnc report: from run folders written here (every metrics.jsonl line type of the
// run-folder contract, config.json, lr-find and tune files) and from a real `nnc train` run, the
// command writes index.html whose every image exists, is a real PNG/SVG and loads in headless
// Chromium; plots without data are left out; a malformed line is named by file:line and leaves
// the previous report in place.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/run_nnc.h"

namespace {
namespace fs = std::filesystem;
using nnc::test::run_nnc;

// One shell word.
std::string sh(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> image_sources(const std::string& html) {
    std::vector<std::string> out;
    const std::regex img(R"re(<img src="([^"]+)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

// A folder name with a space and both quotes: paths must never be pasted into a shell or a script.
class Report : public ::testing::Test {
protected:
    fs::path dir;
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() /
              ("nnc-report-" + std::string(info->name()) + "-" + std::to_string(::getpid())) / "my run 'one' \"1\"";
        fs::remove_all(dir.parent_path());
        fs::create_directories(dir);
    }
    void TearDown() override {
        if (!HasFailure()) fs::remove_all(dir.parent_path());
    }
    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
};

const char* kConfig =
    R"({"format": 1, "model": "/home/u/.cache/nnc/classifier-abc/classifier.so", "scheduler": "template",
 "data": {"path": "x.csv"}, "train": {"epochs": 3, "batch": 32, "seed": 1},
 "optimizer": {"name": "adam", "lr": 0.003}})";

// Three epochs of a classifier with every line type the contract names.
std::string full_metrics() {
    std::string m;
    for (int e = 1; e <= 3; ++e) {
        for (int s = 10; s <= 30; s += 10)
            m += R"({"type": "step", "epoch": )" + std::to_string(e) + R"(, "step": )" + std::to_string(s) +
                 R"(, "updates": )" + std::to_string((e - 1) * 32 + s) + R"(, "samples": 320, "loss": )" +
                 std::to_string(2.0 / (e + s / 30.0)) +
                 R"(, "accuracy": 0.5, "lr": 0.003, "grad_norm": 1.5, "samples_per_s": 1000, "wall_s": )" +
                 std::to_string((e - 1) * 3.2 + s / 10.0) + "}\n";
        const double f = 1.0 / e;
        m += R"({"type": "epoch", "epoch": )" + std::to_string(e) + R"(, "epochs": 3, "train_loss": )" +
             std::to_string(1.5 * f) + R"(, "train_accuracy": )" + std::to_string(0.5 + 0.1 * e) + R"(, "val_loss": )" +
             std::to_string(e == 3 ? 0.4 : 1.6 * f) + R"(, "val_accuracy": )" + std::to_string(0.45 + 0.1 * e) +
             R"(, "task_losses": {}, "lr": )" + std::to_string(0.003 * f) + R"(, "grad_norm": )" +
             std::to_string(2.0 * f) + R"(, "samples_per_s": 1000, "epoch_s": 3.1, "best_epoch": 0, "wall_s": )" +
             std::to_string(e * 3.2) + R"(, "grad_norms": {"fc1.weight": )" + std::to_string(0.5 * f) +
             R"(, "fc1.bias": 0.01, "out_w": null},)" + R"( "update_ratios": {"fc1.weight": )" +
             std::to_string(2e-3 * f) + R"(, "fc1.bias": 5e-5, "out_w": 0.03}, "rollbacks": )" +
             std::to_string(e >= 2 ? 1 : 0) + R"(, "probe": {"entropy": )" + std::to_string(2.2 * f) +
             R"(, "max_entropy": 2.302585, "mean_top_prob": )" + std::to_string(0.2 + 0.2 * e) +
             R"(, "top_prob_hist": [0, 10, 40, 30, 20, 10, 5, 5, 0, )" + std::to_string(20 * e) +
             R"(], "majority_fraction": 0.2}})" + "\n";
        if (e != 2)  // best.ckpt written (its validation loss is the lowest so far)
            m += R"({"type": "checkpoint", "file": "best.ckpt", "epoch": )" + std::to_string(e) +
                 R"(, "monitor": "val_loss", "value": )" + std::to_string(e == 3 ? 0.4 : 1.6) + "}\n";
        if (e == 1)
            m +=
                R"({"type": "rollback", "epoch": 2, "step": 5, "reason": "loss became NaN", "lr": 0.01, "new_lr": 0.003, "wall_s": 4.0})"
                "\n";
    }
    m +=
        R"({"type": "diagnosis", "epoch": 2, "code": "update-ratio-high", "severity": "warning", "subject": "out_w", "message": "out_w's update ratio 3e-2 is above 1e-2 <script>alert(1)</script>", "advice": "lower the lr for this layer"})"
        "\n";
    m +=
        R"({"type": "diagnosis", "epoch": 0, "code": "overfitting", "severity": "warning", "subject": "", "message": "validation loss rose for 2 epochs", "advice": "add dropout or weight decay"})"
        "\n";
    m +=
        R"({"type": "diagnosis", "epoch": 0, "code": "lr-too-low", "severity": "info", "subject": "", "message": "the loss fell slowly", "advice": "try 3x the lr"})"
        "\n";
    m +=
        R"({"type": "diagnosis", "epoch": 0, "code": "curve-good", "severity": "ok", "subject": "", "message": "the loss curve looks healthy", "advice": ""})"
        "\n";
    return m;
}

void write_lr_find(const std::function<void(const std::string&, const std::string&)>& write) {
    std::string csv = "step,lr,loss,smoothed_loss\n";
    for (int i = 0; i < 60; ++i) {
        const double lr = 1e-6 * std::pow(10.0, i / 10.0);
        const double loss = i < 45 ? 2.3 - 0.04 * i : 0.5 + (i - 45) * 0.8;
        csv += std::to_string(i) + "," + std::to_string(lr) + "," + std::to_string(loss + 0.05 * (i % 3)) + "," +
               std::to_string(loss) + "\n";
    }
    write("lr_find.csv", csv);
    write("lr_find.json", R"({"suggested_lr": 0.001, "min_loss_lr": 0.01, "method": "steepest", "steps": 60})");
}

void write_tune(const std::function<void(const std::string&, const std::string&)>& write) {
    write("tune.csv",
          "rank,trial,lr,batch,optimizer,momentum,weight_decay,val_loss,val_accuracy,epochs,seconds\n"
          "1,3,0.003,64,adam,0,0,0.41,0.86,3,4.2\n"
          "2,1,0.01,64,adam,0,0,0.52,0.82,3,4.0\n"
          "3,2,0.0003,32,sgd,0.9,0.0001,0.77,0.74,3,5.1\n");
    write("tune.json",
          R"({"metric": "val_loss", "winner": {"trial": 3, "lr": 0.003}, "test_loss": 0.43, "test_accuracy": 0.85})");
}

// Each image of the page exists beside it and is a real image of the format.
void expect_images_real(const fs::path& report, const std::vector<std::string>& images, const std::string& format) {
    for (const std::string& img : images) {
        SCOPED_TRACE(img);
        EXPECT_EQ(img.find('/'), std::string::npos) << "images sit beside the page";
        const fs::path p = report / img;
        ASSERT_TRUE(fs::exists(p));
        const std::string bytes = read(p);
        EXPECT_GT(bytes.size(), 3000u);
        if (format == "png") {
            EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
        } else {
            EXPECT_EQ(bytes.substr(0, 5), "<?xml");
            EXPECT_NE(bytes.find("<svg"), std::string::npos);
            EXPECT_NE(bytes.find("width=\"960\""), std::string::npos);  // a size, so browsers give it a natural width
        }
    }
}

// Nothing but the report is left beside it: no scratch folder, no half-built report.
void expect_no_leftovers(const fs::path& parent) {
    for (const auto& e : fs::directory_iterator(parent)) {
        const std::string name = e.path().filename().string();
        EXPECT_NE(name.rfind(".report", 0), 0u) << "left over: " << e.path();
    }
}

std::string percent_encoded_url(const fs::path& p) {
    std::string url = "file://";
    for (unsigned char c : fs::absolute(p).string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.')
            url += static_cast<char>(c);
        else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            url += buf;
        }
    }
    return url;
}

// Loads the page in headless Chromium with a window `width` pixels wide and returns the value of
// the <body> attribute `marker` that the page's own few lines of script set on load:
// data-images-ok ("loaded/total") or data-page-width (the page's scroll width). Chromium is a test
// dependency (scripts/setup.sh installs it): without it the test fails and says so.
std::string body_marker_in_chromium(const fs::path& page, const std::string& marker, int width = 1280) {
    const char* candidates[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"};
    std::string browser;
    for (const char* c : candidates)
        if (fs::exists(c)) browser = c;
    if (browser.empty()) {
        ADD_FAILURE() << "headless Chromium is needed to check the report in a browser, and none was found at "
                         "/usr/bin/chromium: run scripts/setup.sh (it installs the Debian package chromium)";
        return "";
    }
    const fs::path profile = page.parent_path().parent_path().parent_path() / "chromium-profile";
    const std::string cmd = sh(browser) +
                            " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run " +
                            "--hide-scrollbars --window-size=" + std::to_string(width) + ",900 " +
                            "--user-data-dir=" + sh(profile.string()) + " --virtual-time-budget=5000 --dump-dom " +
                            sh(percent_encoded_url(page)) + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string dom;
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) dom.append(buf, n);
    if (p) pclose(p);
    fs::remove_all(profile);
    std::smatch m;
    if (!std::regex_search(dom, m, std::regex(marker + R"re(="([^"]+)")re"))) {
        ADD_FAILURE() << "Chromium's DOM has no " << marker << " marker; it printed:\n" << dom.substr(0, 2000);
        return "";
    }
    return m[1];
}

std::string images_loaded_in_chromium(const fs::path& page) { return body_marker_in_chromium(page, "data-images-ok"); }

TEST_F(Report, FullRunFolderGivesAPageWithEveryPlotAndDiagnosis) {
    write("config.json", kConfig);
    write("metrics.jsonl", full_metrics());
    write_lr_find([&](const std::string& n, const std::string& t) { write(n, t); });
    write_tune([&](const std::string& n, const std::string& t) { write(n, t); });
    const auto r = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const fs::path report = dir / "report";
    const std::string html = read(report / "index.html");
    const std::vector<std::string> images = image_sources(html);
    const std::set<std::string> expected = {"loss.png",          "accuracy.png",   "lr.png",
                                            "update_ratios.png", "grad_norms.png", "confidence.png",
                                            "entropy.png",       "lr_find.png",    "tune.png"};
    EXPECT_EQ(std::set<std::string>(images.begin(), images.end()), expected) << html;
    expect_images_real(report, images, "png");
    expect_no_leftovers(dir);
    EXPECT_FALSE(fs::exists(report / ".gnuplot"));

    // The summary, from config.json and the epoch lines.
    EXPECT_NE(html.find("<td>model</td><td>classifier</td>"), std::string::npos);
    EXPECT_NE(html.find("3 of 3"), std::string::npos);
    EXPECT_NE(html.find("<td>best epoch</td><td>3 (validation loss 0.4000, accuracy 75.00%;"), std::string::npos)
        << html;
    EXPECT_NE(html.find("<td>final lr</td><td>0.001</td>"), std::string::npos);
    EXPECT_NE(html.find("<td>run time</td><td>9.6 s</td>"), std::string::npos);
    // Diagnoses grouped by severity, warnings first, with their advice; user text escaped.
    const size_t warnings = html.find("Warnings (2)"), notes = html.find("Notes (1)"),
                 ok = html.find("Looks right (1)");
    ASSERT_NE(warnings, std::string::npos);
    ASSERT_NE(notes, std::string::npos);
    ASSERT_NE(ok, std::string::npos);
    EXPECT_LT(warnings, notes);
    EXPECT_LT(notes, ok);
    EXPECT_NE(html.find("add dropout or weight decay"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("loss became NaN"), std::string::npos);
    // lr-find and tune.
    EXPECT_NE(html.find("<td>suggested lr</td><td>0.001</td>"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"winner\"><td class=\"num\">1</td><td class=\"num\">3</td>"), std::string::npos);
    // Self-contained: nothing fetched from the network.
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);

    EXPECT_EQ(images_loaded_in_chromium(report / "index.html"), "9/9");

    // A second report replaces the first whole.
    const auto again = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(again.status, 0) << again.output;
    EXPECT_TRUE(fs::exists(report / "index.html"));
    expect_no_leftovers(dir);
}

TEST_F(Report, SvgImagesIntoAnotherFolder) {
    write("config.json", kConfig);
    write("metrics.jsonl", full_metrics());
    const fs::path out = dir.parent_path() / "elsewhere 'x'";
    const auto r = run_nnc("report " + sh(dir.string()) + " --format svg --out " + sh(out.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::vector<std::string> images = image_sources(read(out / "index.html"));
    EXPECT_EQ(images.size(), 7u);
    expect_images_real(out, images, "svg");
    EXPECT_FALSE(fs::exists(dir / "report"));
    EXPECT_EQ(images_loaded_in_chromium(out / "index.html"), "7/7");
}

// A regression without validation, probe or per-tensor statistics: only what has data is drawn.
TEST_F(Report, PlotsWithoutDataAreLeftOut) {
    std::string m;
    for (int e = 1; e <= 4; ++e)
        m +=
            R"({"type": "epoch", "epoch": )" + std::to_string(e) + R"(, "epochs": 4, "train_loss": )" +
            std::to_string(10.0 / e) +
            R"(, "train_accuracy": null, "val_loss": null, "val_accuracy": null, "lr": 0.01, "grad_norm": 0.5, "wall_s": 1.0})" +
            "\n";
    write("metrics.jsonl", m);
    const auto r = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string html = read(dir / "report" / "index.html");
    const std::vector<std::string> images = image_sources(html);
    EXPECT_EQ(std::set<std::string>(images.begin(), images.end()),
              (std::set<std::string>{"loss.png", "lr.png", "grad_norms.png"}));
    expect_images_real(dir / "report", images, "png");
    for (const char* absent : {"accuracy.png", "confidence.png", "update_ratios.png", "lr_find.png", "tune.png"}) {
        EXPECT_FALSE(fs::exists(dir / "report" / absent)) << absent;
        EXPECT_EQ(html.find(absent), std::string::npos) << absent;
    }
    EXPECT_NE(html.find("final training loss"), std::string::npos);
    EXPECT_NE(html.find("no diagnosis lines"), std::string::npos);
}

TEST_F(Report, MalformedLineIsNamedByFileAndLineAndTheOldReportStays) {
    write("metrics.jsonl", R"({"type": "epoch", "epoch": 1, "train_loss": 1.0})"
                           "\n"
                           R"({"type": "epoch", "epoch": 2, "train_loss": 0.9})"
                           "\n"
                           R"({"type": "epoch", "epoch": 3, "train_loss": 0.8)"
                           "\n"
                           R"({"type": "epoch", "epoch": 4, "train_loss": 0.7})"
                           "\n");
    fs::create_directories(dir / "report");
    write("report/index.html", "the previous report");
    const auto r = run_nnc("report " + sh(dir.string()));
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find((dir / "metrics.jsonl").string() + ":3:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("fix or delete this line"), std::string::npos) << r.output;
    EXPECT_EQ(read(dir / "report" / "index.html"), "the previous report");
    expect_no_leftovers(dir);
}

TEST_F(Report, WrongTypeIsNamedByFileAndLine) {
    write("metrics.jsonl", R"({"type": "epoch", "epoch": 1, "train_loss": 1.0})"
                           "\n"
                           R"({"type": "epoch", "epoch": 2, "val_loss": "low"})"
                           "\n");
    const auto r = run_nnc("report " + sh(dir.string()));
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("metrics.jsonl:2: \"val_loss\" should be a number"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "report"));
}

// A run killed while writing leaves its last line cut short, without a newline: that line is
// left out with a warning, the rest reported.
TEST_F(Report, LastLineCutShortByAKilledRunIsLeftOut) {
    write("metrics.jsonl", R"({"type": "epoch", "epoch": 1, "train_loss": 1.0, "lr": 0.1})"
                           "\n"
                           R"({"type": "epoch", "epoch": 2, "train_loss": 0.5, "lr": 0.1})"
                           "\n"
                           R"({"type": "step", "epoch": 3, "st)");
    const auto r = run_nnc("report " + sh(dir.string()));
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("metrics.jsonl:3: the last line is cut short"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(dir / "report" / "loss.png"));
}

TEST_F(Report, LrFindOrTuneFolderAlone) {
    write_lr_find([&](const std::string& n, const std::string& t) { write(n, t); });
    auto r = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(image_sources(read(dir / "report" / "index.html")), std::vector<std::string>{"lr_find.png"});
    expect_images_real(dir / "report", {"lr_find.png"}, "png");

    fs::remove_all(dir);
    fs::create_directories(dir);
    write_tune([&](const std::string& n, const std::string& t) { write(n, t); });
    r = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string html = read(dir / "report" / "index.html");
    EXPECT_EQ(image_sources(html), std::vector<std::string>{"tune.png"});
    EXPECT_NE(html.find("<td>winner&#39;s test accuracy</td><td>85.00%</td>"), std::string::npos) << html;
}

// A search over every hyperparameter makes a wide table: it scrolls inside the page, and the page
// still fits a 1280-pixel window.
TEST_F(Report, TuneTableFitsA1280PixelWindow) {
    std::string csv =
        "rank,trial,lr,batch,optimizer,momentum,weight_decay,dropout,val_loss,val_accuracy,epochs,seconds\n";
    for (int i = 1; i <= 12; ++i)
        csv += std::to_string(i) + "," + std::to_string(i + 100) +
               ",0.000316227766,128,adadelta,0.899999999,0.000123456789,0.123456789,0.412345678,0.861234567,120,"
               "12345.678901\n";
    write("tune.csv", csv);
    write("tune.json", R"({"metric": "val_accuracy", "test_loss": 0.43, "test_accuracy": 0.85})");
    const auto r = run_nnc("report " + sh(dir.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string width = body_marker_in_chromium(dir / "report" / "index.html", "data-page-width", 1280);
    ASSERT_FALSE(width.empty());
    EXPECT_LE(std::stoi(width), 1280) << "the page scrolls sideways in a 1280-pixel window";
}

TEST_F(Report, ClearErrorsForWhatCannotBeReported) {
    auto r = run_nnc("report " + sh(dir.string()));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("has no metrics.jsonl, lr_find.csv or tune.csv"), std::string::npos) << r.output;

    write("metrics.jsonl", R"({"type": "epoch", "epoch": 1, "train_loss": 1.0})"
                           "\n");
    fs::create_directories(dir / "mine");
    write("mine/notes.txt", "keep me");
    r = run_nnc("report " + sh(dir.string()) + " --out " + sh((dir / "mine").string()));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("is not a report (no index.html); choose another --out"), std::string::npos) << r.output;
    EXPECT_EQ(read(dir / "mine" / "notes.txt"), "keep me");

    // gnuplot missing: say how to install it.
    const std::string path = std::getenv("PATH");
    setenv("PATH", "/nonexistent", 1);
    r = run_nnc("report " + sh(dir.string()));
    setenv("PATH", path.c_str(), 1);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("gnuplot is not installed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("gnuplot-nox"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "report"));
    expect_no_leftovers(dir);
}

// The producers' current formats: a real two-epoch run of a tiny classifier and its lr-find.
TEST_F(Report, RealTrainingRun) {
    std::ofstream(dir / "tiny.nn") << R"(model tiny {
  input  x: [4]
  target y: classes(3)
  fc1  = dense(x, 16, init=he_normal)
  h1   = relu(fc1)
  out  = dense(h1, 3)
  loss = softmax_cross_entropy(out, y)
  train {
    optimizer = adam(lr=1e-2)
    batch = 16
    epochs = 2
  }
}
)";
    std::mt19937 rng(3);
    std::normal_distribution<float> noise(0.f, 0.3f);
    for (const char* name : {"train.csv", "val.csv"}) {
        std::ofstream csv(dir / name);
        csv << "a,b,c,d,y\n";
        for (int i = 0; i < 96; ++i) {
            const int y = i % 3;
            csv << y + noise(rng) << "," << noise(rng) << "," << -y + noise(rng) << "," << noise(rng) << "," << y
                << "\n";
        }
    }
    const fs::path run = dir / "run";
    const auto t = run_nnc("train " + sh((dir / "tiny.nn").string()) + " --data " + sh((dir / "train.csv").string()) +
                           " --target y --validation-data " + sh((dir / "val.csv").string()) +
                           " --metrics-every 2 --out " + sh(run.string()));
    ASSERT_EQ(t.status, 0) << t.output;
    // nnc lr-find's files in the same folder add the range test to the page.
    const auto f = run_nnc("lr-find " + sh((dir / "tiny.nn").string()) + " --data " + sh((dir / "train.csv").string()) +
                           " --target y --steps 60 --out " + sh(run.string()));
    ASSERT_EQ(f.status, 0) << f.output;
    const auto r = run_nnc("report " + sh(run.string()));
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string metrics = read(run / "metrics.jsonl");
    const std::string html = read(run / "report" / "index.html");
    const std::vector<std::string> images = image_sources(html);
    std::set<std::string> expected = {"loss.png", "accuracy.png", "lr.png", "grad_norms.png", "lr_find.png"};
    // Whatever the producers write today must be drawn.
    if (metrics.find("\"update_ratios\"") != std::string::npos) expected.insert("update_ratios.png");
    if (metrics.find("\"top_prob_hist\"") != std::string::npos) expected.insert("confidence.png");
    if (metrics.find("\"entropy\"") != std::string::npos) expected.insert("entropy.png");
    EXPECT_EQ(std::set<std::string>(images.begin(), images.end()), expected) << metrics;
    expect_images_real(run / "report", images, "png");
    EXPECT_NE(html.find("<td>model</td><td>tiny</td>"), std::string::npos);
    EXPECT_NE(html.find("2 of 2"), std::string::npos);
    EXPECT_NE(html.find("<td>suggested lr</td>"), std::string::npos);
    EXPECT_EQ(images_loaded_in_chromium(run / "report" / "index.html"),
              std::to_string(images.size()) + "/" + std::to_string(images.size()));
}

}  // namespace
