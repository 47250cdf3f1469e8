/* nnc — the C ABI of a model library built by `nnc model.nn -o model.so`.
 *
 * Stable and versioned: NNC_ABI_VERSION changes only when a signature or struct here changes.
 * Every function returns an nnc_status; on failure nnc_last_error() holds a message that says
 * what went wrong and what to do next. Nothing here aborts or exits on bad input.
 *
 * Tensor layout: row-major, batch first. A model whose input is declared [784] takes a
 * (batch, 784) float array; class targets are one int32 index per sample; real targets are
 * (batch, ...) float arrays. Parameters are row-major with the shapes nnc_model_param_info reports
 * (a dense layer's weight is [in, out]).
 */
#ifndef NNC_NNC_H
#define NNC_NNC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_ABI_VERSION 1

typedef enum nnc_status {
    NNC_OK = 0,
    NNC_ERR_INVALID_ARGUMENT = 1, /* a null pointer, a wrong size, an unknown name */
    NNC_ERR_IO = 2,               /* a file could not be opened, read or written */
    NNC_ERR_FORMAT = 3,           /* a data or checkpoint file is malformed (the message names the offset) */
    NNC_ERR_RUNTIME = 4,          /* a generated kernel failed */
    NNC_ERR_NUMERIC = 5,          /* the loss became NaN or infinite */
    NNC_ERR_OUT_OF_MEMORY = 6
} nnc_status;

typedef enum nnc_target_kind { NNC_TARGET_CLASSES = 0, NNC_TARGET_REAL = 1 } nnc_target_kind;

typedef struct nnc_model nnc_model;
typedef struct nnc_dataset nnc_dataset;

/* The message of the last failure on this thread ("" if none). Valid until the next call. */
const char* nnc_last_error(void);
int nnc_abi_version(void);

/* ---- model ---- */
nnc_status nnc_model_create(nnc_model** out);
void nnc_model_destroy(nnc_model* model);
const char* nnc_model_name(const nnc_model* model);

/* Per-sample element counts of the (first) input, of the forward output, and of a real target. */
int64_t nnc_model_input_size(const nnc_model* model);
int64_t nnc_model_output_size(const nnc_model* model);
nnc_target_kind nnc_model_target_kind(const nnc_model* model);
int64_t nnc_model_num_classes(const nnc_model* model); /* 0 for real targets */
int64_t nnc_model_target_size(const nnc_model* model); /* 1 for class targets */

int nnc_model_num_params(const nnc_model* model);
/* Name ("fc1.weight"), rank and dims (row-major, outermost first) of parameter `index`. */
nnc_status nnc_model_param_info(const nnc_model* model, int index, const char** name, int* rank,
                                const int64_t** dims);
int64_t nnc_model_param_count(const nnc_model* model, int index); /* elements */
int64_t nnc_model_total_param_count(const nnc_model* model);

/* Fills every parameter with its declared initializer, reproducibly from `seed`, and resets the
 * optimizer state. */
nnc_status nnc_model_init(nnc_model* model, uint64_t seed);
nnc_status nnc_model_get_param(const nnc_model* model, int index, float* dst, int64_t count);
nnc_status nnc_model_set_param(nnc_model* model, int index, const float* src, int64_t count);
/* The gradient of the mean batch loss w.r.t. parameter `index`, from the last
 * nnc_model_compute_gradients or nnc_model_train_step. */
nnc_status nnc_model_get_grad(const nnc_model* model, int index, float* dst, int64_t count);

/* Inference: output is (batch, output_size). For a softmax cross-entropy model the output is the
 * class probabilities. */
nnc_status nnc_model_forward(nnc_model* model, const float* input, int64_t batch, float* output);

/* Loss and gradients without an update. `target` is int32 class indices or float values.
 * `output` (may be NULL) receives the pre-loss prediction (logits for softmax cross-entropy). */
nnc_status nnc_model_compute_gradients(nnc_model* model, const float* input, const void* target,
                                       int64_t batch, float* loss, float* output);

/* ---- optimizer ---- */
typedef struct nnc_optimizer_config {
    const char* name; /* "sgd" or "adam" */
    double lr;
    double momentum; /* sgd */
    int nesterov;    /* sgd */
    double beta1, beta2, eps; /* adam */
    double weight_decay;
} nnc_optimizer_config;

/* One step: gradients, then the optimizer update. Same arguments as compute_gradients. */
nnc_status nnc_model_train_step(nnc_model* model, const float* input, const void* target,
                                int64_t batch, float* loss, float* output);
nnc_status nnc_model_set_optimizer(nnc_model* model, const nnc_optimizer_config* config);
nnc_status nnc_model_get_optimizer(const nnc_model* model, nnc_optimizer_config* config);

/* ---- checkpoints ---- */
/* Writes atomically (temporary file, then rename): an interrupted save never leaves a partial file. */
nnc_status nnc_model_save(const nnc_model* model, const char* path);
/* Fails without changing the model if the file is malformed or does not match its parameters. */
nnc_status nnc_model_load(nnc_model* model, const char* path);

/* ---- data ---- */
/* A labelled dataset in memory: `count` samples of `sample_size` floats and one target each. */
nnc_status nnc_dataset_load_idx(const char* images_path, const char* labels_path, nnc_dataset** out);
/* Copies `count` samples (float, row-major) and their targets (int32 classes or float values). */
nnc_status nnc_dataset_from_memory(const float* samples, const void* targets, int64_t count,
                                   int64_t sample_size, nnc_target_kind kind, int64_t target_size,
                                   nnc_dataset** out);
void nnc_dataset_destroy(nnc_dataset* dataset);
int64_t nnc_dataset_size(const nnc_dataset* dataset);
int64_t nnc_dataset_sample_size(const nnc_dataset* dataset);
/* Samples [begin, begin + count) as a new dataset (no shuffling: hold out the tail for validation). */
nnc_status nnc_dataset_slice(const nnc_dataset* dataset, int64_t begin, int64_t count, nnc_dataset** out);

/* ---- training loop ---- */
typedef struct nnc_progress {
    int64_t epoch, epochs;          /* 1-based epoch */
    int64_t samples_done, samples_total; /* within this epoch */
    double loss;                    /* running mean training loss this epoch */
    double accuracy;                /* running training accuracy (classes), else NaN */
    double samples_per_second;
    double elapsed_seconds;         /* this epoch */
} nnc_progress;

typedef struct nnc_epoch_stats {
    int64_t epoch, epochs;
    double train_loss, train_accuracy;
    double val_loss, val_accuracy; /* NaN when there is no validation set */
    double samples_per_second;
    double seconds;
    double lr;
} nnc_epoch_stats;

typedef struct nnc_train_config {
    int64_t epochs;
    int64_t batch;
    uint64_t seed;  /* shuffling */
    /* Called after every batch and at the end of every epoch; return nonzero to stop training. */
    int (*on_batch)(void* user, const nnc_progress* progress);
    int (*on_epoch)(void* user, const nnc_epoch_stats* stats);
    void* user;
} nnc_train_config;

/* The model's own training defaults from its .nn file. */
nnc_status nnc_model_default_train_config(const nnc_model* model, nnc_train_config* train,
                                          nnc_optimizer_config* optimizer, int64_t* validation);

/* Trains with the model's current optimizer. `validation` may be NULL. */
nnc_status nnc_train(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                     const nnc_train_config* config);
/* Mean loss and accuracy (NaN for real targets) over a dataset. */
nnc_status nnc_evaluate(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss,
                        double* accuracy);

#ifdef __cplusplus
}
#endif
#endif /* NNC_NNC_H */
