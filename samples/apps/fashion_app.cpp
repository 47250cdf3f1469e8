// fashion_app: a C++ application linking a model compiled by nnc (fashion_classifier.nn, through
// find_package(nnc) + nnc_add_model). It trains the model on Fashion-MNIST with progress callbacks,
// saves the weights, reloads them into a fresh model and classifies one image.
//
//   fashion_app [--data DIR] [--limit N] [--epochs N] [--weights FILE] [--no-train] IMAGE
//
// IMAGE is an index into the Fashion-MNIST test set (0-9999) or a 28x28 binary PGM file (P5,
// white garment on black, as the dataset). --no-train skips training and loads --weights.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fashion_classifier.h"

namespace {

using Classifier = nnc::models::fashion_classifier::Model;
using Spec = nnc::models::fashion_classifier::Spec;

constexpr const char* kClassNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct Options {
    std::string data = "/usr/share/datasets/fashion-mnist";
    int64_t limit = 0;   // 0: the whole training set
    int64_t epochs = 0;  // 0: the model's train section
    std::string weights = "fashion_classifier.ckpt";
    bool train = true;
    std::string image;
};

[[noreturn]] void usage(const std::string& problem, int status = 2) {
    (status ? std::cerr : std::cout)
        << "fashion_app: " << problem << "\n"
        << "usage: fashion_app [--data DIR] [--limit N] [--epochs N] [--weights FILE] [--no-train] IMAGE\n"
        << "  IMAGE: an index into the test set (0-9999) or a 28x28 binary PGM file\n"
        << "  --data DIR      Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
        << "  --limit N       train on the first N training images (default: all)\n"
        << "  --epochs N      epochs (default: the model's train section)\n"
        << "  --weights FILE  the checkpoint to write, then read back (default fashion_classifier.ckpt)\n"
        << "  --no-train      only load --weights and classify\n";
    std::exit(status);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--data")
            o.data = value();
        else if (a == "--limit")
            o.limit = std::stoll(value());
        else if (a == "--epochs")
            o.epochs = std::stoll(value());
        else if (a == "--weights")
            o.weights = value();
        else if (a == "--no-train")
            o.train = false;
        else if (a == "-h" || a == "--help")
            usage("train, save, reload and classify", 0);
        else if (!a.empty() && a[0] == '-')
            usage("unknown option " + a);
        else
            o.image = a;
    }
    if (o.image.empty()) usage("name the image to classify");
    return o;
}

// A binary PGM (P5, maxval 255) of exactly the model's input shape, scaled to [0, 1] as the IDX
// loader scales the dataset.
std::vector<float> read_pgm(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::string magic;
    int width = 0, height = 0, maxval = 0;
    in >> magic >> width >> height >> maxval;
    in.get();  // the one whitespace byte before the pixels
    if (magic != "P5" || maxval != 255 || width != Spec::input_shape[1] || height != Spec::input_shape[0])
        throw std::runtime_error(path + ": expected a binary PGM (P5) of 28x28 pixels with maxval 255, got " + magic +
                                 " " + std::to_string(width) + "x" + std::to_string(height));
    std::vector<unsigned char> bytes(Spec::input_size);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
        throw std::runtime_error(path + ": fewer than 784 pixels");
    std::vector<float> pixels(bytes.size());
    std::transform(bytes.begin(), bytes.end(), pixels.begin(), [](unsigned char b) { return b / 255.0f; });
    return pixels;
}

void train(Classifier& model, const Options& o) {
    nnc::Dataset all =
        nnc::Dataset::load_idx(o.data + "/train-images-idx3-ubyte.gz", o.data + "/train-labels-idx1-ubyte.gz");
    nnc::TrainOptions options = model.default_train_options();  // the .nn file's train section
    const int64_t n = o.limit > 0 ? std::min(o.limit, all.size()) : all.size();
    const int64_t held_out = std::min<int64_t>(options.validation, n / 10);
    nnc::Dataset train_set = all.slice(0, n - held_out);
    nnc::Dataset validation = all.slice(n - held_out, held_out);
    if (o.epochs > 0) options.config.epochs = o.epochs;

    // Callbacks: a progress line every 20 batches, one line per epoch. Returning false stops.
    options.on_batch = [](const nnc_progress& p) {
        if (p.step % 20 == 1)
            std::printf("  epoch %lld  %lld/%lld  loss %.4f  acc %.3f\n", (long long)p.epoch, (long long)p.samples_done,
                        (long long)p.samples_total, p.loss, p.accuracy);
        return true;
    };
    options.on_epoch = [](const nnc_epoch_stats& s) {
        std::printf("epoch %lld/%lld: train loss %.4f acc %.3f | val loss %.4f acc %.3f | %.0f samples/s\n",
                    (long long)s.epoch, (long long)s.epochs, s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy,
                    s.samples_per_second);
        return true;
    };
    model.init(options.config.seed);
    std::printf("training on %lld images, validating on %lld\n", (long long)train_set.size(),
                (long long)validation.size());
    model.train(train_set, held_out > 0 ? &validation : nullptr, options);
    model.save(o.weights);
    std::printf("saved %s\n", o.weights.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    try {
        if (o.train) {
            Classifier trained;
            train(trained, o);
        }
        // A fresh model from the saved weights: what a deployed application does.
        Classifier model;
        model.load(o.weights);

        nnc::Dataset test =
            nnc::Dataset::load_idx(o.data + "/t10k-images-idx3-ubyte.gz", o.data + "/t10k-labels-idx1-ubyte.gz");
        const nnc::Evaluation e = model.evaluate(test);
        std::printf("test accuracy %.4f (loss %.4f) on %lld images\n", e.accuracy, e.loss, (long long)test.size());

        std::vector<float> probabilities;
        const bool is_index = o.image.find_first_not_of("0123456789") == std::string::npos;
        if (is_index) {
            const int64_t index = std::stoll(o.image);
            if (index >= test.size())
                usage("image index " + o.image + " is past the test set's " + std::to_string(test.size()));
            probabilities = model.predict(test.slice(index, 1));
        } else {
            const std::vector<float> pixels = read_pgm(o.image);
            const Classifier::Output p = model.predict(Classifier::Sample(pixels.data(), Spec::input_size));
            probabilities.assign(p.begin(), p.end());
        }
        const auto best = std::max_element(probabilities.begin(), probabilities.end()) - probabilities.begin();
        std::printf("%s: class %lld (%s), probability %.3f\n", o.image.c_str(), (long long)best, kClassNames[best],
                    probabilities[best]);
    } catch (const nnc::Error& e) {
        std::fprintf(stderr, "fashion_app: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fashion_app: %s\n", e.what());
        return 1;
    }
    return 0;
}
