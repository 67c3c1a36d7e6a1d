#ifndef NNMODEL_CHDF5_SHIM_H
#define NNMODEL_CHDF5_SHIM_H
#include <hdf5.h>
#endif
