// Linked first into a copy of the tests' fake model library (with --allow-multiple-definition),
// this stands in for a model library built by an older nnc: the same exports, ABI version 2.
extern "C" int nnc_abi_version(void) { return 2; }
