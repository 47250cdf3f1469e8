// nnc_dataset: construction from IDX files or memory, and slicing.
#include "runtime/dataset.h"

#include "runtime/errors.h"
#include "runtime/idx_reader.h"

#include <algorithm>
#include <memory>
#include <string>

using namespace nnc::runtime;

extern "C" {

nnc_status nnc_dataset_load_idx(const char* images_path, const char* labels_path, nnc_dataset** out) {
    return guarded("nnc_dataset_load_idx", [&] {
        require(out != nullptr, "nnc_dataset_load_idx: out is NULL");
        *out = nullptr;
        require(images_path && labels_path, "nnc_dataset_load_idx: images_path and labels_path must not be NULL");
        IdxImages images = read_idx_images(images_path);
        std::vector<int32_t> labels = read_idx_labels(labels_path);
        if (static_cast<int64_t>(labels.size()) != images.count) {
            throw Error(NNC_ERR_FORMAT, "'" + std::string(images_path) + "' holds " + std::to_string(images.count) +
                                            " images but '" + labels_path + "' holds " + std::to_string(labels.size()) +
                                            " labels (the counts at byte offset 4 of each file differ); pass the "
                                            "labels file that belongs to these images");
        }
        auto data = std::make_unique<nnc_dataset>();
        data->count = images.count;
        data->sample_size = images.rows * images.cols;
        data->samples = std::move(images.pixels);
        DatasetTarget target;
        target.classes = std::move(labels);
        target.max_class = *std::max_element(target.classes.begin(), target.classes.end());
        target.source = labels_path;
        target.header = 8;  // magic and count
        data->targets.push_back(std::move(target));
        *out = data.release();
        return NNC_OK;
    });
}

namespace {

// Copies `count` targets of one kind, checked, as a dataset target.
DatasetTarget make_target(const char* function, const void* targets, int64_t count, nnc_target_kind kind,
                          int64_t target_size) {
    const std::string f = function;
    require(targets != nullptr, f + ": targets must not be NULL");
    require(kind == NNC_TARGET_CLASSES || kind == NNC_TARGET_REAL,
            f + ": kind must be NNC_TARGET_CLASSES or NNC_TARGET_REAL");
    require(target_size > 0, f + ": target_size must be > 0, got " + std::to_string(target_size));
    DatasetTarget t;
    t.kind = kind;
    t.size = target_size;
    if (kind == NNC_TARGET_CLASSES) {
        // target_size labels per sample (a sequence target's T). Negative ones may be the label a
        // model's loss ignores: checked against the model when it trains or evaluates.
        const int32_t* classes = static_cast<const int32_t*>(targets);
        t.classes.assign(classes, classes + count * target_size);
        t.max_class = *std::max_element(t.classes.begin(), t.classes.end());
    } else {
        const float* values = static_cast<const float*>(targets);
        t.values.assign(values, values + count * target_size);
    }
    return t;
}

}  // namespace

nnc_status nnc_dataset_from_memory(const float* samples, const void* targets, int64_t count, int64_t sample_size,
                                   nnc_target_kind kind, int64_t target_size, nnc_dataset** out) {
    return guarded("nnc_dataset_from_memory", [&] {
        require(out != nullptr, "nnc_dataset_from_memory: out is NULL");
        *out = nullptr;
        require(samples != nullptr, "nnc_dataset_from_memory: samples must not be NULL");
        require(count > 0, "nnc_dataset_from_memory: count must be > 0, got " + std::to_string(count));
        require(sample_size > 0,
                "nnc_dataset_from_memory: sample_size must be > 0, got " + std::to_string(sample_size));
        auto data = std::make_unique<nnc_dataset>();
        data->count = count;
        data->sample_size = sample_size;
        data->targets.push_back(make_target("nnc_dataset_from_memory", targets, count, kind, target_size));
        data->samples.assign(samples, samples + count * sample_size);
        *out = data.release();
        return NNC_OK;
    });
}

nnc_status nnc_dataset_add_target(nnc_dataset* dataset, const void* targets, nnc_target_kind kind,
                                  int64_t target_size) {
    return guarded("nnc_dataset_add_target", [&] {
        require(dataset != nullptr, "nnc_dataset_add_target: dataset is NULL");
        require(dataset->targets.size() < NNC_MAX_LOSSES,
                "nnc_dataset_add_target: at most " + std::to_string(NNC_MAX_LOSSES) + " targets per sample");
        dataset->targets.push_back(make_target("nnc_dataset_add_target", targets, dataset->count, kind, target_size));
        return NNC_OK;
    });
}

void nnc_dataset_destroy(nnc_dataset* dataset) { delete dataset; }

int64_t nnc_dataset_size(const nnc_dataset* dataset) { return dataset ? dataset->count : 0; }

int64_t nnc_dataset_sample_size(const nnc_dataset* dataset) { return dataset ? dataset->sample_size : 0; }

nnc_status nnc_dataset_slice(const nnc_dataset* dataset, int64_t begin, int64_t count, nnc_dataset** out) {
    return guarded("nnc_dataset_slice", [&] {
        require(out != nullptr, "nnc_dataset_slice: out is NULL");
        *out = nullptr;
        require(dataset != nullptr, "nnc_dataset_slice: dataset is NULL");
        require(begin >= 0 && count > 0 && begin <= dataset->count - count,
                "nnc_dataset_slice: [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                    ") is not a non-empty range inside the dataset's " + std::to_string(dataset->count) + " samples");
        auto data = std::make_unique<nnc_dataset>();
        data->count = count;
        data->sample_size = dataset->sample_size;
        data->samples.assign(dataset->sample(begin), dataset->sample(begin + count));
        for (const DatasetTarget& from : dataset->targets) {
            DatasetTarget t;
            t.kind = from.kind;
            t.size = from.size;
            if (from.kind == NNC_TARGET_CLASSES) {
                t.classes.assign(from.classes.begin() + begin * from.size,
                                 from.classes.begin() + (begin + count) * from.size);
                t.max_class = *std::max_element(t.classes.begin(), t.classes.end());
                t.source = from.source;
                t.header = from.header;
                t.first = from.first + begin * from.size;
            } else {
                const auto first = from.values.begin() + begin * from.size;
                t.values.assign(first, first + count * from.size);
            }
            data->targets.push_back(std::move(t));
        }
        *out = data.release();
        return NNC_OK;
    });
}

}  // extern "C"
