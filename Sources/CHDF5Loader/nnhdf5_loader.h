/* Private to CHDF5Loader: what the generated forwarding functions need from the loader. */
#ifndef NNMODEL_HDF5_LOADER_H
#define NNMODEL_HDF5_LOADER_H
#include "../CHDF5/shim.h"
#include "nnhdf5_symbols.h"

/* Names of the forwarded functions, in NN_H5_* order (nnhdf5_trampolines.c). */
extern const char *const nn_h5_symbol_names[NN_H5_SYMBOL_COUNT];

/* 1 for each entry the loaded library must define (0: the other version's branch). */
extern const unsigned char nn_h5_symbol_needed[NN_H5_SYMBOL_COUNT];

/* The real function of entry `index`, loading the library first; NULL when it could not be loaded. */
void *nn_h5_symbol(int index);
#endif
