/*
 * mechname: splitting and checking glia__<package>__<asset>__<variant>.
 *
 * The double underscore is the only separator, so a name is read back by
 * cutting at every "__" from the left. For that to give the parts that were
 * put in, a part may not hold "__" and may not start or end with '_': in
 * "glia__p___x__0" the run "___" could be "p" + "_x" or "p_" + "x", and
 * either guess would name a mechanism the package never shipped. We reject
 * such names instead of guessing; mechname_check_part applies the same rule,
 * so whatever it accepts, mechname_format joins and mechname_parse splits
 * back unchanged.
 *
 * Characters are limited to what NEURON accepts in a mechanism name
 * ([A-Za-z0-9_]). A part may start with a digit (variant "0"); the full name
 * always starts with the letter of "glia__", as NEURON requires.
 */
#include "mechname.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MECHNAME_SEP "__"
#define MECHNAME_SEPLEN 2
#define MECHNAME_NPARTS 3

static const char *const part_names[MECHNAME_NPARTS] = {"package", "asset", "variant"};

/* A part of a larger string: not NUL terminated. */
struct span {
    const char *p;
    size_t len;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The first byte NEURON would not accept, or NULL. */
static const char *find_bad_char(struct span s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_name_char(s.p[i]))
            return s.p + i;
    return NULL;
}

static int has_sep(struct span s)
{
    for (size_t i = 0; i + 1 < s.len; i++)
        if (s.p[i] == '_' && s.p[i + 1] == '_')
            return 1;
    return 0;
}

static void describe_bad_char(char c, char *buf, size_t len)
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "byte 0x%02x", (unsigned char)c);
}

static int check_span(const char *what, struct span s, char *err, size_t errlen)
{
    const char *bad;
    char shown[16];
    int len = (int)s.len;

    if (s.len == 0) {
        set_err(err, errlen, "empty %s", what);
        return -1;
    }
    if ((bad = find_bad_char(s)) != NULL) {
        describe_bad_char(*bad, shown, sizeof(shown));
        set_err(err, errlen, "%s '%.*s' holds %s; only letters, digits and '_' are allowed", what,
                len, s.p, shown);
        return -1;
    }
    if (has_sep(s)) {
        set_err(err, errlen, "%s '%.*s' holds '__', which separates the parts of a name", what, len,
                s.p);
        return -1;
    }
    if (s.p[0] == '_' || s.p[s.len - 1] == '_') {
        set_err(err, errlen,
                "%s '%.*s' starts or ends with '_', which would make the '__' around it "
                "ambiguous",
                what, len, s.p);
        return -1;
    }
    return 0;
}

/*
 * Cuts s at every "__", leftmost first. Fills at most max spans and returns
 * how many parts there are in all, so callers can tell "too many" apart.
 */
static size_t split_parts(const char *s, struct span *parts, size_t max)
{
    size_t n = 0;
    const char *sep;

    for (;;) {
        sep = strstr(s, MECHNAME_SEP);
        if (n < max) {
            parts[n].p = s;
            parts[n].len = sep ? (size_t)(sep - s) : strlen(s);
        }
        n++;
        if (sep == NULL)
            return n;
        s = sep + MECHNAME_SEPLEN;
    }
}

static char *span_dup(struct span s)
{
    char *d = malloc(s.len + 1);

    if (d != NULL) {
        memcpy(d, s.p, s.len);
        d[s.len] = '\0';
    }
    return d;
}

/* Copies the parts into out; a pkg span with a NULL p leaves out->pkg NULL (a file stem). */
static int fill(struct mechname *out, struct span pkg, struct span asset, struct span variant)
{
    out->pkg = pkg.p ? span_dup(pkg) : NULL;
    out->asset = span_dup(asset);
    out->variant = span_dup(variant);
    if ((pkg.p && out->pkg == NULL) || out->asset == NULL || out->variant == NULL) {
        mechname_free(out);
        return -1;
    }
    return 0;
}

/* Checks parts[0..n) in order, reporting the first bad one with the whole name. */
static int check_parts(const char *whole, const struct span *parts, const char *const *names,
                       size_t n, char *err, size_t errlen)
{
    char why[160];

    for (size_t i = 0; i < n; i++) {
        if (check_span(names[i], parts[i], why, sizeof(why)) == 0)
            continue;
        if (parts[i].len == 0)
            set_err(err, errlen, "%s in '%s'", why, whole);
        else
            set_err(err, errlen, "%s: %s", whole, why);
        return -1;
    }
    return 0;
}

enum mechname_status mechname_parse(const char *full, struct mechname *out, char *err,
                                    size_t errlen)
{
    struct span parts[MECHNAME_NPARTS];
    size_t n;

    memset(out, 0, sizeof(*out));
    if (full == NULL || strncmp(full, MECHNAME_PREFIX, strlen(MECHNAME_PREFIX)) != 0)
        return MECHNAME_PLAIN;
    n = split_parts(full + strlen(MECHNAME_PREFIX), parts, MECHNAME_NPARTS);
    if (check_parts(full, parts, part_names, n < MECHNAME_NPARTS ? n : MECHNAME_NPARTS, err,
                    errlen) != 0)
        return MECHNAME_INVALID;
    if (n != MECHNAME_NPARTS) {
        set_err(err, errlen,
                "%s: expected glia__<package>__<asset>__<variant>, found %zu part%s after "
                "glia__",
                full, n, n == 1 ? "" : "s");
        return MECHNAME_INVALID;
    }
    if (fill(out, parts[0], parts[1], parts[2]) != 0) {
        set_err(err, errlen, "%s: out of memory", full);
        return MECHNAME_INVALID;
    }
    return MECHNAME_OK;
}

int mechname_from_stem(const char *stem, struct mechname *out, char *err, size_t errlen)
{
    static const char *const stem_names[2] = {"asset", "variant"};
    struct span parts[2];
    struct span none = {NULL, 0};
    struct span dflt = {MECHNAME_DEFAULT_VARIANT, strlen(MECHNAME_DEFAULT_VARIANT)};
    size_t n;

    memset(out, 0, sizeof(*out));
    if (stem == NULL) {
        set_err(err, errlen, "no mod file stem given");
        return -1;
    }
    n = split_parts(stem, parts, 2);
    if (check_parts(stem, parts, stem_names, n < 2 ? n : 2, err, errlen) != 0)
        return -1;
    if (n > 2) {
        set_err(err, errlen, "%s: expected <asset> or <asset>__<variant>, found %zu parts", stem,
                n);
        return -1;
    }
    if (fill(out, none, parts[0], n == 2 ? parts[1] : dflt) != 0) {
        set_err(err, errlen, "%s: out of memory", stem);
        return -1;
    }
    return 0;
}

int mechname_check_part(const char *what, const char *part, char *err, size_t errlen)
{
    if (what == NULL)
        what = "part";
    if (part == NULL) {
        set_err(err, errlen, "missing %s", what);
        return -1;
    }
    return check_span(what, (struct span){part, strlen(part)}, err, errlen);
}

char *mechname_format(const char *pkg, const char *asset, const char *variant)
{
    size_t len;
    char *s;

    if (pkg == NULL || asset == NULL || variant == NULL)
        return NULL;
    len = strlen(MECHNAME_PREFIX) + strlen(pkg) + strlen(asset) + strlen(variant) +
          2 * MECHNAME_SEPLEN + 1;
    s = malloc(len);
    if (s != NULL)
        snprintf(s, len, MECHNAME_PREFIX "%s" MECHNAME_SEP "%s" MECHNAME_SEP "%s", pkg, asset,
                 variant);
    return s;
}

void mechname_free(struct mechname *m)
{
    if (m == NULL)
        return;
    free(m->pkg);
    free(m->asset);
    free(m->variant);
    memset(m, 0, sizeof(*m));
}
