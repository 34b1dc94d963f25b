/* The one translation unit of the mixsimd command that holds the library's definitions. */
#define MIXSIMD_IMPLEMENTATION
#include <mixsimd/mixsimd.h>
