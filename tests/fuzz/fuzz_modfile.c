/* The NEURON-block parser on arbitrary bytes: it must return 0 or -1, never
 * crash, and what it returns must be whole: every name set, the mechanism
 * name's offset pointing at that name in the text (or none, for a mod named
 * after its file). */
#include "modfile.h"
#include "fuzz.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct modfile_info info;
    struct modfile_error err;
    if (modfile_parse((const char *)data, size, &info, &err) == 0) {
        /* A build rewrites exactly these bytes of its copy; a mod named
         * after its file has none until it is given the file's name. */
        if (info.named_by_file) {
            assert(!info.name && info.name_length == 0);
            assert(modfile_name_after_file(&info, "dir/stem.mod") == 0);
            assert(strcmp(info.name, "stem") == 0);
        } else {
            assert(info.name && *info.name);
            assert(info.name_offset + info.name_length <= size);
            assert(strlen(info.name) == info.name_length);
            assert(memcmp(data + info.name_offset, info.name, info.name_length) == 0);
        }
        for (size_t i = 0; i < info.nfunctions; i++)
            assert(info.functions[i]);
        for (size_t i = 0; i < info.nhoc_globals; i++)
            assert(info.hoc_globals[i]);
        for (size_t i = 0; i < info.nparams; i++)
            assert(info.params[i].name);
        for (size_t i = 0; i < info.nincludes; i++)
            assert(info.includes[i]);
        modfile_info_free(&info);
    } else {
        assert(err.line >= 0 && err.message[0]);
    }
    return 0;
}
