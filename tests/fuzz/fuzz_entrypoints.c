/* The entry_points.txt parser on arbitrary text (inih underneath): every
 * kept entry has a name and a module. */
#include "entrypoints.h"
#include "fuzz.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    struct entrypoints eps;
    char err[200];
    int n = entrypoints_parse(text, &eps, err, sizeof(err));
    if (n >= 0) {
        assert((size_t)n == eps.n);
        for (size_t i = 0; i < eps.n; i++)
            assert(eps.v[i].name && eps.v[i].module && *eps.v[i].module);
    }
    entrypoints_free(&eps);
    free(text);
    return 0;
}
