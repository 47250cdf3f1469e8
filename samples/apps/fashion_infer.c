/* fashion_infer: a C program that loads trained weights into the model library nnc compiled and
 * runs inference, through the C ABI of the generated header alone.
 *
 *   fashion_infer WEIGHTS [DATA_DIR] [COUNT]
 *
 * WEIGHTS is a checkpoint (nnc_model_save, e.g. from fashion_app or `nnc train --save`) or an .npz
 * archive of the parameters by name (nnc_model_export_npz, numpy.savez). Prints the accuracy on
 * the first COUNT (default 1000) Fashion-MNIST test images and the first five predictions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fashion_classifier.h"

static int fail(const char* what) {
    fprintf(stderr, "fashion_infer: %s: %s\n", what, nnc_last_error());
    return 1;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fashion_infer WEIGHTS [DATA_DIR] [COUNT]\n");
        return 2;
    }
    const char* weights = argv[1];
    const char* data = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
    const long count = argc > 3 ? atol(argv[3]) : 1000;

    nnc_model* model = NULL;
    if (nnc_model_create(&model) != NNC_OK) return fail("create");
    const size_t n = strlen(weights);
    const int npz = n > 4 && strcmp(weights + n - 4, ".npz") == 0;
    if ((npz ? nnc_model_import_npz(model, weights) : nnc_model_load(model, weights)) != NNC_OK) return fail(weights);

    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", data);
    snprintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte.gz", data);
    nnc_dataset *test = NULL, *subset = NULL;
    if (nnc_dataset_load_idx(images, labels, &test) != NNC_OK) return fail("test set");
    const long total = (long)nnc_dataset_size(test);
    if (nnc_dataset_slice(test, 0, count < total ? count : total, &subset) != NNC_OK) return fail("slice");

    double loss = 0, accuracy = 0;
    if (nnc_evaluate(model, subset, 256, &loss, &accuracy) != NNC_OK) return fail("evaluate");
    printf("%s: accuracy %.4f, loss %.4f on %lld test images\n", nnc_model_name(model), accuracy, loss,
           (long long)nnc_dataset_size(subset));

    /* Class probabilities of every image of the subset, FASHION_CLASSIFIER_OUTPUT_SIZE per image. */
    const long rows = (long)nnc_dataset_size(subset);
    float* probabilities = malloc(sizeof(float) * (size_t)rows * FASHION_CLASSIFIER_OUTPUT_SIZE);
    float* outputs[1] = {probabilities};
    if (!probabilities || nnc_predict(model, subset, 256, outputs) != NNC_OK) return fail("predict");
    for (long i = 0; i < 5 && i < rows; ++i) {
        const float* p = probabilities + i * FASHION_CLASSIFIER_OUTPUT_SIZE;
        int best = 0;
        for (int c = 1; c < FASHION_CLASSIFIER_NUM_CLASSES; ++c)
            if (p[c] > p[best]) best = c;
        printf("image %ld: class %d (p %.3f)\n", i, best, p[best]);
    }
    free(probabilities);
    nnc_dataset_destroy(subset);
    nnc_dataset_destroy(test);
    nnc_model_destroy(model);
    return 0;
}
