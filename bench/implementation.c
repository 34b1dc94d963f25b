/* The one translation unit of the benchmark program that holds the library's
 * definitions: the kernel families it measures (not the whole umbrella). */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/act.h>
#include <mixsimd/core.h>
#include <mixsimd/div.h>
#include <mixsimd/gauss.h>
#include <mixsimd/gemm.h>
#include <mixsimd/lse.h>
#include <mixsimd/vmath.h>
