/* Mechanism names: a name that parses formats back to itself, and a stem
 * that parses yields valid parts. */
#include "mechname.h"
#include "fuzz.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    char err[200];
    struct mechname m;
    if (mechname_parse(s, &m, err, sizeof(err)) == MECHNAME_OK) {
        char *back = mechname_format(m.pkg, m.asset, m.variant);
        assert(strcmp(back, s) == 0);
        free(back);
        mechname_free(&m);
    }
    if (mechname_from_stem(s, &m, err, sizeof(err)) == 0) {
        assert(mechname_check_part("asset", m.asset, err, sizeof(err)) == 0);
        assert(mechname_check_part("variant", m.variant, err, sizeof(err)) == 0);
        mechname_free(&m);
    }
    free(s);
    return 0;
}
