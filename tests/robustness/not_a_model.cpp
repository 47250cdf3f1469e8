// A shared library that is not an nnc model: it exports none of the nnc_* entry points.
extern "C" int not_a_model(void) { return 0; }
