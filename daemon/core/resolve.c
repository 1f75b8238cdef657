/*
 * resolve: Glia's resolution rules over one asset's candidates.
 *
 * Two passes at most. The first filters by the pkg/variant the scopes and the
 * call ask for, decided field by field (wanted_field). When that leaves
 * nothing and some of it came from a scope, the preferences are taken to be
 * about other packages or variants than the ones installed, and a second pass
 * filters by the call's own pkg/variant only: a stale global preference must
 * not make an asset unusable. The call's own fields are never dropped; asking
 * for a package that does not ship the asset is an error, not a hint.
 *
 * Decisions the rules leave open, fixed here so results are deterministic:
 *  - A scope listing the same asset more than once: for each field, the last
 *    entry that sets it wins, as a later select() overrides an earlier one.
 *  - The tie-break needs exactly one variant "0" among the matches; two
 *    identical candidates are reported as ambiguous rather than picked by
 *    input order.
 *  - matches/nmatches are filled whenever candidates matched (not only for
 *    RESOLVE_AMBIGUOUS), so a client can say "chose X out of N".
 *  - chosen is SIZE_MAX unless the status is RESOLVE_OK.
 */
#include "resolve.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#define RESOLVE_FROM_CALL "call"

enum resolve_field { FIELD_PKG, FIELD_VARIANT };

/* One field's decision: its value and who set it. */
struct decision {
    const char *value;
    const char *from;
    int by_call;
};

static const char *field_of(const struct resolve_pref *p, enum resolve_field f)
{
    return f == FIELD_PKG ? p->pkg : p->variant;
}

static int str_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The scope's own value for the field: its asset preference, else its general one. */
static const char *scope_field(const struct resolve_scope *s, const char *asset,
                               enum resolve_field f)
{
    const char *v;

    for (size_t i = s->nassets; i-- > 0;) {
        if (asset == NULL || !str_eq(s->assets[i].asset, asset))
            continue;
        if ((v = field_of(&s->assets[i].pref, f)) != NULL)
            return v;
    }
    return field_of(&s->general, f);
}

/* The first setter of the field from the top: the call, then innermost scope down. */
static struct decision wanted_field(const struct resolve_query *q, enum resolve_field f)
{
    const char *v;

    if ((v = field_of(&q->call, f)) != NULL)
        return (struct decision){v, RESOLVE_FROM_CALL, 1};
    for (size_t i = q->nscopes; i-- > 0;) {
        if ((v = scope_field(&q->scopes[i], q->asset, f)) != NULL)
            return (struct decision){v, q->scopes[i].name, 0};
    }
    return (struct decision){NULL, NULL, 0};
}

static int fits(const struct resolve_cand *c, const struct resolve_pref *want)
{
    return (want->pkg == NULL || str_eq(c->pkg, want->pkg)) &&
           (want->variant == NULL || str_eq(c->variant, want->variant));
}

/* Records the matching indices in input order; returns how many matched. */
static size_t filter(const struct resolve_cand *cands, size_t n, const struct resolve_pref *want,
                     struct resolve_result *out)
{
    out->nmatches = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fits(&cands[i], want))
            continue;
        if (out->nmatches < RESOLVE_MAX_MATCHES)
            out->matches[out->nmatches] = i;
        out->nmatches++;
    }
    return out->nmatches;
}

/*
 * Scans every candidate again rather than out->matches, which may be cut at
 * RESOLVE_MAX_MATCHES. Returns the index of the lone variant "0" when all the
 * matches share one package, else SIZE_MAX.
 */
static size_t tie_break(const struct resolve_cand *cands, size_t n, const struct resolve_pref *want)
{
    const char *pkg = NULL;
    size_t zero = SIZE_MAX;
    int seen = 0;

    for (size_t i = 0; i < n; i++) {
        if (!fits(&cands[i], want))
            continue;
        if (seen && !str_eq(cands[i].pkg, pkg))
            return SIZE_MAX;
        seen = 1;
        pkg = cands[i].pkg;
        if (str_eq(cands[i].variant, "0")) {
            if (zero != SIZE_MAX)
                return SIZE_MAX;
            zero = i;
        }
    }
    return zero;
}

/* One, several or no candidates fit `want`: sets status, chosen, tie_break. */
static void decide(const struct resolve_cand *cands, size_t n, const struct resolve_pref *want,
                   struct resolve_result *out)
{
    size_t found = filter(cands, n, want, out);

    if (found == 0) {
        out->status = RESOLVE_NO_MATCH;
    } else if (found == 1) {
        out->status = RESOLVE_OK;
        out->chosen = out->matches[0];
    } else if ((out->chosen = tie_break(cands, n, want)) != SIZE_MAX) {
        out->status = RESOLVE_OK;
        out->tie_break = 1;
    } else {
        out->status = RESOLVE_AMBIGUOUS;
    }
}

void resolve(const struct resolve_cand *cands, size_t n, const struct resolve_query *q,
             struct resolve_result *out)
{
    struct decision pkg = wanted_field(q, FIELD_PKG);
    struct decision variant = wanted_field(q, FIELD_VARIANT);
    int from_scope = (pkg.value && !pkg.by_call) || (variant.value && !variant.by_call);

    memset(out, 0, sizeof(*out));
    out->chosen = SIZE_MAX;
    out->wanted = (struct resolve_pref){pkg.value, variant.value};
    out->pkg_from = pkg.from;
    out->variant_from = variant.from;
    if (n == 0) {
        out->status = RESOLVE_UNKNOWN_ASSET;
        return;
    }
    decide(cands, n, &out->wanted, out);
    if (out->status == RESOLVE_NO_MATCH && from_scope) {
        out->fell_back = 1;
        decide(cands, n, &q->call, out);
    }
}

const char *resolve_status_code(enum resolve_status s)
{
    switch (s) {
    case RESOLVE_OK:
        return "ok";
    case RESOLVE_UNKNOWN_ASSET:
        return "unknown_asset";
    case RESOLVE_NO_MATCH:
        return "no_match";
    case RESOLVE_AMBIGUOUS:
        return "ambiguous";
    }
    return "internal_error";
}

/* ---- Suggestions ---- */

/* Case differences are free: "NA" for "Na" is the commonest slip. */
static int same_letter(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

static size_t min2(size_t x, size_t y)
{
    return x < y ? x : y;
}

size_t resolve_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > RESOLVE_NEAR_MAX || lb > RESOLVE_NEAR_MAX)
        return SIZE_MAX;
    /* Row i holds the distances of a's first i letters to each prefix of
     * b; a swap looks two rows back, so three are kept. */
    size_t rows[3][RESOLVE_NEAR_MAX + 1];
    size_t *two = rows[0], *one = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        one[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t d = one[j - 1] + !same_letter(a[i - 1], b[j - 1]);
            d = min2(d, one[j] + 1);     /* a[i-1] deleted */
            d = min2(d, cur[j - 1] + 1); /* b[j-1] inserted */
            if (i > 1 && j > 1 && same_letter(a[i - 1], b[j - 2]) &&
                same_letter(a[i - 2], b[j - 1]))
                d = min2(d, two[j - 2] + 1); /* neighbours swapped */
            cur[j] = d;
        }
        size_t *t = two;
        two = one, one = cur, cur = t;
    }
    return one[lb];
}

const char *resolve_suggest(const char *typed, const char *const *names, size_t n)
{
    size_t len = strlen(typed), best_d = 0;
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t d = resolve_distance(typed, names[i]);
        if (d > 2 || 2 * d >= len)
            continue;
        if (!best || d < best_d || (d == best_d && strcmp(names[i], best) < 0))
            best = names[i], best_d = d;
    }
    return best;
}
