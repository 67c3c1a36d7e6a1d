#ifndef NNMODEL_CBLAS_SHIM_H
#define NNMODEL_CBLAS_SHIM_H
#include <cblas.h>
#endif
