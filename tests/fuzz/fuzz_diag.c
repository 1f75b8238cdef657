/* Diagnostics from compiler output: the output, the generated C and the
 * .mod are all partly the user's text. The input holds them separated by
 * NUL bytes; its first byte picks a size for diag_clip. A summary is one
 * line, a line number is one the mod can have, a detail is clipped, and
 * clipping keeps valid UTF-8 valid (Python's msgpack refuses the rest). */
#include "diag.h"
#include "fuzz.h"

#include <assert.h>
#include <string.h>

#define COPY "/w/x.mod"
#define ORIG "/site/pkg/mods/x.mod"
#define CPATH "/w/x.c"

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0)
            return 0;
        for (p++; n > 0; n--, p++)
            if ((*p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static int count_lines(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void check(const struct diag *d, const char *mod)
{
    assert(d->summary && !strchr(d->summary, '\n'));
    assert(d->line >= 0 && (!mod || d->line <= count_lines(mod)));
    assert(d->detail && strlen(d->detail) <= DIAG_DETAIL_MAX + 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = (size_t)data[0] * 4;
    char *all = fuzz_cstr(data + 1, size - 1);
    if (!all)
        return 0;
    /* Up to three NUL-separated parts: output, C text, mod text. */
    const char *part[3] = {all, NULL, NULL};
    const char *end = all + size - 1;
    for (int i = 1; i < 3; i++) {
        const char *prev = part[i - 1];
        size_t n = strlen(prev);
        if (prev + n >= end)
            break;
        part[i] = prev + n + 1;
    }
    struct diag d;
    diag_nocmodl(&d, part[0], COPY, ORIG);
    check(&d, NULL);
    diag_free(&d);
    diag_cc(&d, part[0], CPATH, part[1], part[2], ORIG);
    check(&d, part[2]);
    diag_free(&d);

    size_t len = strlen(part[0]);
    int was_valid = valid_utf8(part[0]);
    char *clipped = diag_clip(strdup(part[0]), max);
    size_t clen = strlen(clipped);
    assert(len <= max ? strcmp(clipped, part[0]) == 0 : clen <= max + 64);
    assert(!was_valid || valid_utf8(clipped));
    free(clipped);
    free(all);
    return 0;
}
