/* mixsimd.h — the whole library.
 *
 * Header-only, stb-style. In exactly one C file of your program:
 *     #define MIXSIMD_IMPLEMENTATION
 *     #include <mixsimd/mixsimd.h>
 * and in every other file just the #include. Link with SLEEF and libm
 * (pkg-config --libs mixsimd); add -fopenmp to the implementation file's
 * compilation to let the kernels use threads. The implementation needs
 * POSIX.1-2008 (-D_POSIX_C_SOURCE=200809L, which pkg-config's --cflags gives).
 */
#ifndef MIXSIMD_H
#define MIXSIMD_H

#define MIXSIMD_VERSION_MAJOR 0
#define MIXSIMD_VERSION_MINOR 1
#define MIXSIMD_VERSION_PATCH 0
#define MIXSIMD_VERSION_STRING "0.1.0"

#include "core.h"
#include "vmath.h"
#include "rng.h"
#include "gemm.h"
#include "gauss.h"
#include "lse.h"
#include "div.h"
#include "act.h"
#include "io.h"
#include "data.h"
#include "metrics.h"
#include "models/common.h"
#include "models/kmeans.h"
#include "models/gmm.h"

#endif
