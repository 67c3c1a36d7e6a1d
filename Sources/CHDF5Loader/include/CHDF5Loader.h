/* The loader and forwarding functions behind CHDF5's shim.h (no declarations of its own). */
#ifndef NNMODEL_CHDF5_LOADER_PUBLIC_H
#define NNMODEL_CHDF5_LOADER_PUBLIC_H
#endif
