/* The contract between code that nnc generates and the runtime linked beside it in model.so.
 * Generated code defines nnc_model_descriptor(); the runtime reads it. Not part of the public ABI.
 *
 * Pipelines are Halide AOT "argv" entry points: args[i] points at a halide_buffer_t for each
 * buffer argument, in the order listed below. Buffers use Halide's dimension order, innermost
 * first: a row-major (N, F) tensor is a buffer with dim[0] = F (stride 1) and dim[1] = N.
 */
#ifndef NNC_MODEL_DESC_H
#define NNC_MODEL_DESC_H

#include <stdint.h>

#include "nnc/nnc.h" /* NNC_ABI_VERSION, nnc_target_kind */

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_MAX_RANK 8

typedef int (*nnc_pipeline_fn)(void** args);

/* A large model's pipeline runs as a sequence of smaller pipelines ("stages") that pass float32
 * buffers ("slots") to each other: Halide compiles many small pipelines far faster than one big
 * one. Slot ids below the pipeline's own argument count are its arguments (in the order given below);
 * slot id (count + i) is slots[i], a buffer the runtime allocates with the slot's per-sample
 * dims and the call's batch. A stage's args list the slots of its argv in order. */
typedef struct nnc_slot_desc {
    const char* name;
    int rank;
    int64_t dims[NNC_MAX_RANK];
} nnc_slot_desc;

typedef struct nnc_stage_desc {
    const char* name;
    nnc_pipeline_fn run;
    int num_args;
    const int* args;
} nnc_stage_desc;

typedef struct nnc_stage_plan {
    int num_stages; /* 0: the pipeline runs as its single entry point */
    const nnc_stage_desc* stages;
    int num_external; /* the pipeline's own argument count */
    int num_slots;
    const nnc_slot_desc* slots;
} nnc_stage_plan;

typedef enum nnc_device_kind {
    NNC_DEVICE_HOST = 0, /* CPU only */
    NNC_DEVICE_CUDA = 1  /* kernels on a CUDA GPU, buffers moved by Halide's CUDA runtime */
} nnc_device_kind;

typedef enum nnc_init_kind {
    NNC_INIT_ZEROS = 0,
    NNC_INIT_ONES = 1,
    NNC_INIT_GAUSSIAN = 2,       /* a = std */
    NNC_INIT_UNIFORM = 3,        /* samples in [-a, a] */
    NNC_INIT_HE_NORMAL = 4,      /* std = sqrt(2 / fan_in) */
    NNC_INIT_HE_UNIFORM = 5,     /* bound = sqrt(6 / fan_in) */
    NNC_INIT_XAVIER_NORMAL = 6,  /* std = sqrt(2 / (fan_in + fan_out)) */
    NNC_INIT_XAVIER_UNIFORM = 7, /* bound = sqrt(6 / (fan_in + fan_out)) */
    NNC_INIT_ORTHOGONAL = 8      /* torch.nn.init.orthogonal_ over [fan_in, fan_out], gain 1 */
} nnc_init_kind;

typedef struct nnc_param_desc {
    const char* name; /* "fc1.weight" */
    int rank;
    int64_t dims[NNC_MAX_RANK]; /* row-major, outermost first */
    nnc_init_kind init;
    double init_a;
    int64_t fan_in, fan_out;
    double max_norm; /* > 0: after each update, rescale every output unit (slice of
                        the last dimension; rank <= 1: the whole tensor) whose L2
                        norm exceeds it (Keras MaxNorm(axis=0) for [in, out]) */
    int trainable;   /* 0: a state tensor (batch-norm running statistics): no gradient,
                        no update; each training step replaces it. States follow every
                        trainable parameter in the list. */
    int units_first; /* max_norm's output units are the first dimension (a conv
                        weight [F, C, K, K]: one unit per filter) instead of the last */
} nnc_param_desc;

typedef struct nnc_tensor_desc {
    const char* name;
    int rank; /* per sample, batch excluded */
    int64_t dims[NNC_MAX_RANK];
} nnc_tensor_desc;

typedef enum nnc_loss_kind {
    NNC_LOSS_SOFTMAX_CROSS_ENTROPY = 0, /* output: class probabilities */
    NNC_LOSS_SIGMOID_BCE = 1,           /* output: sigmoid probabilities */
    NNC_LOSS_MSE = 2,                   /* output: the prediction itself */
    NNC_LOSS_L1 = 3
} nnc_loss_kind;

typedef struct nnc_target_desc {
    nnc_tensor_desc tensor; /* per-sample shape; classes: rank 0, or [T] for one class per position */
    int kind;               /* nnc_target_kind */
    int64_t num_classes;    /* classes targets only */
    /* Classes targets whose loss skips a label (softmax_cross_entropy's ignore_index): such labels
     * are valid data outside [0, num_classes) and count in no metric. 0 and 0: none skipped. */
    int has_ignore_index;
    int64_t ignore_index;
} nnc_target_desc;

typedef struct nnc_loss_desc {
    const char* name;           /* "loss", or the name after `loss` in the .nn file */
    int kind;                   /* nnc_loss_kind */
    double weight;              /* in the total loss */
    int target;                 /* index into targets */
    nnc_tensor_desc prediction; /* the loss's first input per sample (logits) */
} nnc_loss_desc;

/* ABI 5: the optimizer updates and the per-tensor gradient sums of squares as device kernels
 * over the flat trainable arena (argv: runtime/include/nnc/device_kernels.h), so parameters and
 * optimizer state stay on the GPU between steps. GPU targets only; all NULL on the CPU.
 * optimizers[] is indexed by family: sgd, adam (and adamw), adagrad, adadelta, rmsprop. */
#define NNC_DEVICE_OPTIMIZERS 5
typedef struct nnc_device_kernels {
    nnc_pipeline_fn optimizers[NNC_DEVICE_OPTIMIZERS];
    nnc_pipeline_fn grad_sumsq;
} nnc_device_kernels;

/* ABI 5: a dropout layer, whose rate train_step reads at run time (nnc_model_set_dropout_rate). */
typedef struct nnc_dropout_desc {
    const char* name; /* the layer's name in the .nn file */
    double rate;      /* the rate the .nn file declares: the model's default */
} nnc_dropout_desc;

typedef struct nnc_model_desc {
    int abi_version; /* NNC_ABI_VERSION of the generator */
    const char* model_name;
    const char* nnc_version;
    const char* source_hash; /* of the .nn text, for checkpoints */

    int num_params; /* trainable parameters first, then states */
    int num_trainable;
    const nnc_param_desc* params;

    nnc_tensor_desc input; /* the model input */
    int input_dtype;       /* nnc_dtype */
    int num_targets;
    const nnc_target_desc* targets;
    int num_losses; /* >= 1; loss l's output has the shape of losses[l].prediction */
    const nnc_loss_desc* losses;

    /* Inference mode (running statistics, no dropout).
     * forward(args): input, params[0..P), outputs[0..L) */
    nnc_pipeline_fn forward;
    /* Inference mode, with the losses: validation and nnc_evaluate.
     * evaluate(args): input, targets[0..T), params[0..P), loss (0-d), losses[0..L) (0-d each),
     *                 outputs[0..L) */
    nnc_pipeline_fn evaluate;
    /* Training mode (batch statistics, dropout drawn from seed).
     * train_step(args): input, targets[0..T), params[0..P), seed (uint32 scalar),
     *                   dropout_rates (float32, max(1, num_dropouts): rate k for dropouts[k]),
     *                   loss (0-d), losses[0..L), predictions[0..L), grads[0..num_trainable),
     *                   new states[num_trainable..P) */
    nnc_pipeline_fn train_step;

    /* Training defaults from the .nn file. */
    const char* optimizer; /* "sgd" | "adam" | "adamw" | "adagrad" | "adadelta" | "rmsprop" */
    double lr, momentum, beta1, beta2, eps, weight_decay;
    int nesterov;
    int64_t batch, epochs, validation;
    uint64_t seed;
    double rho, alpha;                          /* adadelta, rmsprop */
    int centered;                               /* rmsprop */
    double lr_decay, initial_accumulator_value; /* adagrad */
    nnc_lr_schedule schedule;
    double clip_norm, clip_value;
    nnc_early_stopping early_stopping;
    int64_t accumulate;

    /* Where the pipelines' kernels run. NNC_DEVICE_CUDA: the runtime checks for a CUDA device at
     * nnc_model_create and moves buffers with Halide's CUDA interface (runtime/device.h). */
    int device;         /* nnc_device_kind */
    const char* target; /* the Halide target string the pipelines were compiled for */

    /* Pipelines compiled as stages (the entry point above is then NULL); num_stages 0 otherwise. */
    nnc_stage_plan forward_plan, evaluate_plan, train_plan;

    /* ABI 4: the train section's on_divergence, as nnc_train_config's fields (0: stop) */
    int on_divergence;
    double divergence_factor;
    int divergence_retries;
    double explode_factor;

    /* ABI 5: see nnc_device_kernels */
    nnc_device_kernels device_kernels;

    /* ABI 5: the dropout layers in graph order (train_step's dropout_rates follow this order) */
    int num_dropouts;
    const nnc_dropout_desc* dropouts;

    /* Added within ABI 5: the checked graph as JSON, as `nnc --graph-json` writes it (nodes with ops,
     * inputs, attributes and shapes; parameters in ABI order), for exporters (nnc export-onnx). */
    const char* graph_json;
} nnc_model_desc;

const nnc_model_desc* nnc_model_descriptor(void);

#ifdef __cplusplus
}
#endif
#endif /* NNC_MODEL_DESC_H */
