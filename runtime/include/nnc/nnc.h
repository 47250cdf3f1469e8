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

#define NNC_ABI_VERSION                                                                  \
    5 /* 2: more optimizers, schedules, clipping, early stopping, accumulation, threads; \
        3: state parameters, int32 inputs, several targets and losses, CSV and .npy      \
           data, standardization, prediction, .npz, resume;                              \
        4: divergence policy (rollback), per-tensor gradient norms and update ratios;    \
        5: device-resident training on GPU targets (optimizer kernels in model.so),      \
           dropout rates set at run time (nnc_model_set_dropout_rate); later, with no    \
           signature or struct changed: nnc_train_config_set, nnc_train_check,          \
           nnc_model_input_shape, nnc_model_graph_json,                                \
           nnc_model_standardization_stats */

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
/* Element type of the model input: float32 features or int32 token ids. */
typedef enum nnc_dtype { NNC_DTYPE_FLOAT32 = 0, NNC_DTYPE_INT32 = 1 } nnc_dtype;

#define NNC_MAX_LOSSES 8

typedef struct nnc_model nnc_model;
typedef struct nnc_dataset nnc_dataset;

/* The message of the last failure on this thread ("" if none). Valid until the next call. */
const char* nnc_last_error(void);
int nnc_abi_version(void);

/* ---- model ---- */
nnc_status nnc_model_create(nnc_model** out);
void nnc_model_destroy(nnc_model* model);
const char* nnc_model_name(const nnc_model* model);

/* Per-sample element counts of the input, of the forward output (of the first loss) and of a
 * real target (the first). */
int64_t nnc_model_input_size(const nnc_model* model);
int64_t nnc_model_output_size(const nnc_model* model);
nnc_target_kind nnc_model_target_kind(const nnc_model* model);
int64_t nnc_model_num_classes(const nnc_model* model); /* 0 for real targets */
int64_t nnc_model_target_size(const nnc_model* model); /* 1 for class targets */

nnc_dtype nnc_model_input_dtype(const nnc_model* model);
/* Added within ABI 5: the per-sample shape of the input, batch excluded (row-major, outermost
 * first; owned by the model): [C, H, W] is an image, an int32 [T] a token sequence. */
nnc_status nnc_model_input_shape(const nnc_model* model, int* rank, const int64_t** dims);
/* Added within ABI 5: the checked graph the library was built from, as JSON (`nnc --graph-json`'s
 * text: nodes with op, inputs, attributes and per-sample shape in graph order; parameters in
 * nnc_model_param_info order), for tools that rebuild the network elsewhere (nnc export-onnx).
 * Owned by the library. */
nnc_status nnc_model_graph_json(const nnc_model* model, const char** json);

/* ABI 3: models with several targets and losses (multi-task). Loss l scores output l against
 * target `target`; the total loss is the weighted sum. Single-target models have one of each. */
int nnc_model_num_targets(const nnc_model* model);
nnc_status nnc_model_target_info(const nnc_model* model, int index, const char** name, nnc_target_kind* kind,
                                 int64_t* size, int64_t* num_classes);
int nnc_model_num_losses(const nnc_model* model);
nnc_status nnc_model_loss_info(const nnc_model* model, int index, const char** name, double* weight, int* target,
                               int64_t* output_size);

/* Parameters, batch-norm running statistics included (those are not trainable: they come after
 * every trainable one, get no gradient, and each training step replaces them). */
int nnc_model_num_params(const nnc_model* model);
int nnc_model_num_trainable_params(const nnc_model* model);
/* Name ("fc1.weight"), rank and dims (row-major, outermost first) of parameter `index`. */
nnc_status nnc_model_param_info(const nnc_model* model, int index, const char** name, int* rank, const int64_t** dims);
int64_t nnc_model_param_count(const nnc_model* model, int index); /* elements */
int64_t nnc_model_total_param_count(const nnc_model* model);

/* Fills every parameter with its declared initializer, reproducibly from `seed`, and resets the
 * optimizer state. */
nnc_status nnc_model_init(nnc_model* model, uint64_t seed);
nnc_status nnc_model_get_param(const nnc_model* model, int index, float* dst, int64_t count);
nnc_status nnc_model_set_param(nnc_model* model, int index, const float* src, int64_t count);
/* The gradient of the mean batch loss w.r.t. parameter `index`, from the last
 * nnc_model_compute_gradients or nnc_model_train_step (a state parameter: its new value). */
nnc_status nnc_model_get_grad(const nnc_model* model, int index, float* dst, int64_t count);

/* Inference: output is (batch, output_size). For a softmax cross-entropy model the output is the
 * class probabilities. `input` is (batch, input_size) floats, or int32 for an int32 input. */
nnc_status nnc_model_forward(nnc_model* model, const void* input, int64_t batch, float* output);
/* Every loss's output: outputs[l] is (batch, output size of loss l). */
nnc_status nnc_model_forward_all(nnc_model* model, const void* input, int64_t batch, float* const* outputs);
/* ABI 3: nnc_model_forward_all in the user's units: the input is standardized with the model's
 * statistics (nnc_model_fit_standardization, or a loaded checkpoint) and the outputs of
 * standardized targets are brought back to the targets' units. Without statistics it is
 * nnc_model_forward_all. (forward, forward_all, compute_gradients and train_step work in the
 * model's units: the caller standardizes.) */
nnc_status nnc_model_predict(nnc_model* model, const void* input, int64_t batch, float* const* outputs);

/* Loss and gradients without an update (training mode: batch statistics, dropout). `target` is
 * int32 class indices or float values. `output` (may be NULL) receives the pre-loss prediction
 * (logits for softmax cross-entropy). Single-target models only; see the _multi variant. */
nnc_status nnc_model_compute_gradients(nnc_model* model, const void* input, const void* target, int64_t batch,
                                       float* loss, float* output);
/* Any model: targets[t] for each target; task_losses (may be NULL) receives each loss, unweighted. */
nnc_status nnc_model_compute_gradients_multi(nnc_model* model, const void* input, const void* const* targets,
                                             int64_t batch, float* loss, float* task_losses);

/* ---- optimizer ---- */
/* Each optimizer is its torch.optim namesake, step for step. Start from nnc_optimizer_defaults. */
typedef struct nnc_optimizer_config {
    const char* name; /* "sgd", "adam", "adamw", "adagrad", "adadelta" or "rmsprop" */
    double lr;
    double momentum;          /* sgd, rmsprop */
    int nesterov;             /* sgd */
    double beta1, beta2, eps; /* adam, adamw; eps for all but sgd */
    double weight_decay;      /* L2 added to the gradient; adamw: decoupled (p *= 1 - lr * wd) */
    /* ABI 2 */
    double rho;                                 /* adadelta */
    double alpha;                               /* rmsprop: smoothing constant */
    int centered;                               /* rmsprop */
    double lr_decay, initial_accumulator_value; /* adagrad */
} nnc_optimizer_config;

/* torch.optim's defaults for the named optimizer (lr included; sgd: lr 0.01, no momentum). */
nnc_status nnc_optimizer_defaults(const char* name, nnc_optimizer_config* config);

/* One step: gradients, then the optimizer update. Same arguments as compute_gradients. */
nnc_status nnc_model_train_step(nnc_model* model, const void* input, const void* target, int64_t batch, float* loss,
                                float* output);
nnc_status nnc_model_train_step_multi(nnc_model* model, const void* input, const void* const* targets, int64_t batch,
                                      float* loss, float* task_losses);
/* The counter behind the per-step random seed (dropout masks): it advances once per
 * compute_gradients/train_step; setting it replays the same masks (checkpoints save it). */
uint64_t nnc_model_step_counter(const nnc_model* model);
nnc_status nnc_model_set_step_counter(nnc_model* model, uint64_t counter);
/* ABI 5: the dropout layers, in graph order. Their rates are values the training step reads at
 * every call (inference never drops): setting one takes effect at the next step, without
 * rebuilding. `rate` (may be NULL) is the current rate, `declared_rate` the .nn file's. A rate
 * must be in [0, 1); 0 turns the layer off (exactly the identity). Checkpoints save the rates. */
int nnc_model_num_dropouts(const nnc_model* model);
nnc_status nnc_model_dropout_info(const nnc_model* model, int index, const char** name, double* rate,
                                  double* declared_rate);
nnc_status nnc_model_set_dropout_rate(nnc_model* model, int index, double rate);
nnc_status nnc_model_set_optimizer(nnc_model* model, const nnc_optimizer_config* config);
nnc_status nnc_model_get_optimizer(const nnc_model* model, nnc_optimizer_config* config);
/* Threads for the generated pipelines' parallel loops and for the parameter update, gradient
 * norms and clipping (0: HL_NUM_THREADS when set, else this machine's hardware threads, at
 * most 8). One pool per model: the pipelines run on it, not on Halide's own pool. */
nnc_status nnc_model_set_threads(nnc_model* model, int threads);

/* ---- checkpoints ---- */
/* Weights, optimizer state, where training stands (for nnc_train's resume), the step counter, the
 * dropout rates and the standardization statistics. Writes atomically (temporary file, fsync, rename): an
 * interrupted save never leaves a partial file. */
nnc_status nnc_model_save(const nnc_model* model, const char* path);
/* Fails without changing the model if the file is malformed or does not match its parameters.
 * The optimizer state is restored when the model's optimizer has the same settings (set it
 * first); otherwise it starts fresh and the run cannot be resumed. Format-1 files (older nnc)
 * hold weights only. */
nnc_status nnc_model_load(nnc_model* model, const char* path);
/* ABI 3: every parameter (state parameters included) as a NumPy .npz archive, one float32 array
 * per parameter named as nnc_model_param_info names it ("fc1.weight"), written atomically: read
 * it with numpy.load(path)["fc1.weight"]. */
nnc_status nnc_model_export_npz(const nnc_model* model, const char* path);
/* Sets every parameter from an .npz archive (float32 or float64 arrays of the same names and
 * shapes, e.g. numpy.savez); checks the whole archive first and changes nothing on failure.
 * Resets the optimizer state. */
nnc_status nnc_model_import_npz(nnc_model* model, const char* path);

/* ---- data ---- */
/* A labelled dataset in memory: `count` samples of `sample_size` floats and one target each. */
nnc_status nnc_dataset_load_idx(const char* images_path, const char* labels_path, nnc_dataset** out);
/* Copies `count` samples (float, row-major) and their targets (int32 classes or float values),
 * target_size per sample (classes: 1, or T for a sequence target; labels are checked against the
 * model, its ignored label allowed, when it trains or evaluates on them). */
nnc_status nnc_dataset_from_memory(const float* samples, const void* targets, int64_t count, int64_t sample_size,
                                   nnc_target_kind kind, int64_t target_size, nnc_dataset** out);
/* ABI 3: one more target per sample for multi-task models (targets are matched to the model's in
 * order: the first from the constructor, then each added one). */
nnc_status nnc_dataset_add_target(nnc_dataset* dataset, const void* targets, nnc_target_kind kind, int64_t target_size);
void nnc_dataset_destroy(nnc_dataset* dataset);
int64_t nnc_dataset_size(const nnc_dataset* dataset);
int64_t nnc_dataset_sample_size(const nnc_dataset* dataset);
/* Samples [begin, begin + count) as a new dataset (no shuffling: hold out the tail for validation). */
nnc_status nnc_dataset_slice(const nnc_dataset* dataset, int64_t begin, int64_t count, nnc_dataset** out);

/* ABI 3: data files for `model` (which gives each target's kind and size).
 * CSV: a header row of column names, then one sample per row (csv_reader.h). `targets` names the
 * target columns: for each model target in order, one column for class targets (whole numbers)
 * or as many columns as the target has values; `features` names the input columns in order
 * (num_features 0: every column that is not a target). num_targets 0 loads inputs only (for
 * nnc_predict). Errors name the file, line and column. */
nnc_status nnc_dataset_load_csv(const nnc_model* model, const char* path, const char* const* targets, int num_targets,
                                const char* const* features, int num_features, nnc_dataset** out);
/* .npy: `inputs_path` holds (N, ...) with the model's input size per sample; target_paths[t]
 * holds model target t: (N,) or (N, 1) integer classes, or (N, ...) values. num_targets 0:
 * inputs only. Errors name the file and the byte offset. */
nnc_status nnc_dataset_load_npy(const nnc_model* model, const char* inputs_path, const char* const* target_paths,
                                int num_targets, nnc_dataset** out);
/* Fits standardization statistics on `train` (use the training split only) and stores them in the
 * model: `inputs` nonzero standardizes every input column (float inputs only); `targets` nonzero
 * standardizes each real target whose every loss is mse or l1 (never class or binary
 * cross-entropy targets). Both zero: removes the statistics. From then on nnc_train,
 * nnc_evaluate and nnc_predict apply them to every batch (datasets stay in the user's units;
 * losses are those of the standardized values), nnc_model_predict and nnc_predict undo them on
 * the outputs, and checkpoints carry them. */
nnc_status nnc_model_fit_standardization(nnc_model* model, const nnc_dataset* train, int inputs, int targets);
/* Bit 1: the inputs are standardized; bit 2: at least one target is. */
int nnc_model_standardization(const nnc_model* model);
/* Added within ABI 5: the statistics behind nnc_model_standardization, for exporters that fold them
 * into the network. `target` -1: the inputs; t >= 0: model target t. *columns is 0 when that
 * tensor is not standardized; else mean and scale hold *columns floats each (owned by the model,
 * valid until its statistics change): standardized = (value - mean) / scale, per column. */
nnc_status nnc_model_standardization_stats(const nnc_model* model, int target, int64_t* columns, const float** mean,
                                           const float** scale);
/* Writes `rows` x `cols` floats atomically: ".npy" as a (rows, cols) float32 array, ".csv" with a
 * header row of `names` (cols names; NULL: c0, c1, ...). Any other extension is an error. */
nnc_status nnc_write_array(const char* path, const float* values, int64_t rows, int64_t cols, const char* const* names);

/* ---- training loop ---- */
typedef struct nnc_progress {
    int64_t epoch, epochs;               /* 1-based epoch */
    int64_t samples_done, samples_total; /* within this epoch */
    double loss;                         /* running mean training loss this epoch */
    double accuracy;                     /* running training accuracy (classes), else NaN */
    double samples_per_second;
    double elapsed_seconds; /* this epoch */
    /* ABI 3 */
    int64_t step;     /* batches done this epoch */
    int64_t updates;  /* optimizer updates over the run */
    double lr;        /* of the last update */
    double grad_norm; /* global L2 norm of the last update's gradient, before clipping
                         (NaN before the first update) */
} nnc_progress;

typedef struct nnc_epoch_stats {
    int64_t epoch, epochs;
    double train_loss, train_accuracy;
    double val_loss, val_accuracy; /* NaN when there is no validation set */
    double samples_per_second;
    double seconds;
    double lr; /* of the epoch's last update (schedules and warm-up applied) */
    /* ABI 2 */
    double grad_norm;   /* mean global L2 gradient norm per update, before clipping */
    int64_t best_epoch; /* early stopping: the epoch whose weights are kept (else 0) */
    int stopping;       /* early stopping ends training after this epoch */
    /* ABI 3: per loss (multi-task), unweighted; NaN where not measured */
    int num_losses;
    double train_task_loss[NNC_MAX_LOSSES];
    double val_task_loss[NNC_MAX_LOSSES];
    /* ABI 4: per trainable parameter tensor, in nnc_model_param_info order; the arrays are owned by
       the runtime and valid only during on_epoch */
    int num_params;
    const double* param_grad_norm;    /* mean L2 norm of each tensor's gradient per update, before clipping */
    const double* param_update_ratio; /* ||w_after - w_before|| / ||w_before|| at the epoch's last update
                                         (NaN where ||w_before|| is 0) */
    int64_t rollbacks;                /* divergence rollbacks so far in this run */
} nnc_epoch_stats;

/* ABI 4: what on_rollback reports. The run went back to the start of `epoch` (its parameters,
 * batch-norm statistics, optimizer state and counters as they were then) and redoes it with every
 * lr from now on multiplied by lr_scale. */
typedef struct nnc_rollback_info {
    int64_t epoch;      /* the epoch redone (1-based) */
    int64_t step;       /* the batch of that epoch where the divergence was seen (1-based) */
    const char* reason; /* "loss became NaN", "gradient norm became infinite", "loss exploded (…)" */
    double lr;          /* the lr of the update that diverged */
    double new_lr;      /* lr * factor: the lr the epoch is redone with (before schedules move it) */
    double lr_scale;    /* the product of every cut so far */
    int64_t rollbacks;  /* rollbacks so far in this run, this one included */
    int64_t retries;    /* the most the run allows */
} nnc_rollback_info;

/* ABI 4: what nnc_train does when training diverges: a NaN or infinite loss or gradient norm, or
 * a loss above explode_factor times the first epoch's running mean loss at its lowest. */
typedef enum nnc_divergence_policy {
    NNC_DIVERGENCE_STOP = 0,    /* fail with NNC_ERR_NUMERIC (the message gives the lr) */
    NNC_DIVERGENCE_ROLLBACK = 1 /* back to the epoch's start, lr *= divergence_factor, redo the epoch */
} nnc_divergence_policy;

/* Learning-rate schedules, as torch.optim.lr_scheduler stepped once per epoch; `epoch` counts
 * from 0 and lr is the optimizer's. */
typedef enum nnc_schedule_kind {
    NNC_SCHEDULE_CONSTANT = 0,
    NNC_SCHEDULE_STEP = 1,        /* lr * factor^floor(epoch / every)                    StepLR */
    NNC_SCHEDULE_MULTISTEP = 2,   /* lr * factor^(milestones <= epoch)                   MultiStepLR */
    NNC_SCHEDULE_EXPONENTIAL = 3, /* lr * factor^epoch                                   ExponentialLR */
    NNC_SCHEDULE_COSINE = 4,      /* min_lr + (lr - min_lr) (1 + cos(pi epoch / epochs)) / 2, then
                                     min_lr (torch's CosineAnnealingLR would rise again)   */
    NNC_SCHEDULE_PLATEAU = 5      /* lr * factor after `patience` epochs without improvement of the
                                     monitored metric                                   ReduceLROnPlateau */
} nnc_schedule_kind;

typedef enum nnc_monitor {
    NNC_MONITOR_VAL_LOSS = 0,     /* needs a validation set */
    NNC_MONITOR_VAL_ACCURACY = 1, /* needs a validation set and class targets */
    NNC_MONITOR_TRAIN_LOSS = 2
} nnc_monitor;

typedef enum nnc_monitor_mode {
    NNC_MODE_AUTO = 0, /* min for losses, max for accuracy */
    NNC_MODE_MIN = 1,
    NNC_MODE_MAX = 2
} nnc_monitor_mode;

#define NNC_MAX_MILESTONES 16

typedef struct nnc_lr_schedule {
    int kind;           /* nnc_schedule_kind */
    double factor;      /* step, multistep, exponential (gamma), plateau: in (0, 1] */
    int64_t every;      /* step: epochs between decays, >= 1 */
    int num_milestones; /* multistep: increasing epochs */
    int64_t milestones[NNC_MAX_MILESTONES];
    int64_t epochs;    /* cosine: T_max, >= 1 */
    double min_lr;     /* cosine: eta_min; plateau: the floor */
    int monitor;       /* plateau: nnc_monitor */
    int mode;          /* plateau: nnc_monitor_mode */
    int64_t patience;  /* plateau: epochs without improvement before a reduction */
    int64_t cooldown;  /* plateau: epochs to wait after a reduction */
    double threshold;  /* plateau: what counts as an improvement (torch default 1e-4) */
    int threshold_abs; /* plateau: 0: relative threshold (torch "rel"), 1: absolute */
    /* Linear warm-up over the first warmup_steps updates or warmup_epochs epochs (at most one
     * nonzero), multiplying any schedule: factor start + (1 - start) * i / n at update (or epoch)
     * i < n, as torch's LinearLR(start_factor=start, total_iters=n). */
    int64_t warmup_steps, warmup_epochs;
    double warmup_start; /* in (0, 1]; 0 means torch's default 1/3 */
} nnc_lr_schedule;

/* Stops when the monitored metric has not improved by more than min_delta for `patience`
 * epochs, and always restores the best epoch's weights when training stops or ends. */
typedef struct nnc_early_stopping {
    int enabled;
    int monitor;      /* nnc_monitor */
    int mode;         /* nnc_monitor_mode */
    int64_t patience; /* >= 0 */
    double min_delta; /* >= 0 */
} nnc_early_stopping;

typedef struct nnc_train_config {
    int64_t epochs;
    int64_t batch;
    uint64_t seed; /* shuffling */
    /* Called after every batch and at the end of every epoch; return nonzero to stop training. */
    int (*on_batch)(void* user, const nnc_progress* progress);
    int (*on_epoch)(void* user, const nnc_epoch_stats* stats);
    void* user;
    /* ABI 2: zero means off (or the model's setting, for threads) */
    nnc_lr_schedule schedule;
    double clip_norm;  /* > 0: scale gradients whose global L2 norm exceeds it (clip_grad_norm_) */
    double clip_value; /* > 0: clamp each gradient to [-clip_value, clip_value] (clip_grad_value_);
                          applied after clip_norm */
    nnc_early_stopping early_stopping;
    int64_t accumulate; /* >= 2: sum the gradients of this many batches, then one update on
                           their mean (the effective batch is accumulate * batch) */
    int threads;        /* as nnc_model_set_threads, for this run; 0: the model's */
    /* ABI 3: nonzero continues the run recorded in the model — by the nnc_train that last ran on
     * it, or by a loaded checkpoint: the epoch and batch it stopped at, the update count, the
     * schedule and early-stopping state, a pending gradient accumulation; the optimizer state and
     * step counter are the model's. With the same data, config (epochs may grow) and thread count
     * the parameters end bit-identical to an uninterrupted run's. seed must be the run's. */
    int resume;
    /* ABI 3: image augmentation of training batches (inputs [C, H, W]; never validation):
     * shift each image by up to augment_crop_pad pixels with zeros filling in (torchvision's
     * RandomCrop(padding=p)), and mirror it left-right with probability 1/2 when augment_flip.
     * Reproducible from seed, epoch and batch. */
    int augment_crop_pad;
    int augment_flip;
    /* ABI 4: divergence (zero = stop with NNC_ERR_NUMERIC, as before) */
    int on_divergence;        /* nnc_divergence_policy */
    double divergence_factor; /* rollback: lr multiplier, in (0, 1); 0 -> 0.3 */
    int divergence_retries;   /* rollback: most rollbacks before giving up with the error; 0 -> 3 */
    double explode_factor;    /* loss > explode_factor * the lowest running mean loss of the first
                                 epoch counts as divergence; 0 -> 1e3 */
    /* Called after each rollback (may be NULL); return nonzero to stop training. */
    int (*on_rollback)(void* user, const nnc_rollback_info* info);
} nnc_train_config;

/* The model's own training defaults from its .nn file (schedule, clipping, early stopping,
 * accumulation included). */
nnc_status nnc_model_default_train_config(const nnc_model* model, nnc_train_config* train,
                                          nnc_optimizer_config* optimizer, int64_t* validation);

/* One setting of the train section from its text, exactly as a .nn file writes it after
 * `key =` — the same names, defaults, ranges and meaning (nnc/train_vocabulary.h has them all):
 *   nnc_train_config_set(&train, NULL, "schedule", "cosine(epochs=20, min_lr=1e-5)");
 *   nnc_train_config_set(&train, NULL, "on_divergence", "rollback(factor=0.1)");
 *   nnc_train_config_set(&train, &optimizer, "optimizer", "sgd(lr=0.1, nesterov=true)");
 * `key` is a train setting: optimizer (written into `optimizer`, which every other key ignores and
 * may be NULL; its name then points at a static string), batch, epochs, seed, schedule (the
 * warm-up is kept; cosine without epochs runs over train->epochs as it is at the call), warmup
 * (the schedule is kept), clip_norm, clip_value, early_stopping, accumulate, on_divergence.
 * `validation` is not in nnc_train_config: slice the data instead. On failure nothing changes and
 * the message names the setting and what it accepts ("train setting 'on_divergence': 'factor' of
 * rollback must be in (0, 1), got 2"). */
nnc_status nnc_train_config_set(nnc_train_config* train, nnc_optimizer_config* optimizer, const char* key,
                                const char* text);

/* Trains with the model's current optimizer. `validation` may be NULL. */
nnc_status nnc_train(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                     const nnc_train_config* config);
/* Every check nnc_train makes before its first step — the config against the model and the data
 * (labels within the classes included) and, with config->resume, the model's run against the
 * config — with the same status and message, training nothing and changing nothing. A caller
 * that writes files for a run (nnc train's run folder) calls it first. */
nnc_status nnc_train_check(nnc_model* model, const nnc_dataset* train, const nnc_dataset* validation,
                           const nnc_train_config* config);
/* Mean loss and accuracy (NaN without class targets) over a dataset, in inference mode. */
nnc_status nnc_evaluate(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy);
/* ABI 3: also each loss (task_losses[num_losses], unweighted; may be NULL). */
nnc_status nnc_evaluate_tasks(nnc_model* model, const nnc_dataset* data, int64_t batch, double* loss, double* accuracy,
                              double* task_losses);
/* ABI 3: nnc_model_predict over every sample of `data` (its targets, if any, are ignored):
 * outputs[l] is (size of data, output size of loss l). */
nnc_status nnc_predict(nnc_model* model, const nnc_dataset* data, int64_t batch, float* const* outputs);

#ifdef __cplusplus
}
#endif
#endif /* NNC_NNC_H */
