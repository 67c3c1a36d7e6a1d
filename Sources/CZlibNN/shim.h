#ifndef NNMODEL_CZLIB_SHIM_H
#define NNMODEL_CZLIB_SHIM_H
#include <zlib.h>
#endif
