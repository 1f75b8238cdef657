/*
 * resolve: which mechanism a short asset name means, by Glia's rules.
 *
 * Scopes, low to high: global < script < context (outer to inner) < call.
 * Package and variant are decided field by field, from the highest scope that
 * sets the field; within one scope an asset's own preference beats the scope's
 * general pkg/variant. A preference that matches no candidate falls back to
 * resolving with the call's own pkg/variant only. When several candidates
 * remain and all come from one package, the one with variant "0" wins;
 * otherwise the request is ambiguous. See docs/resolution.md.
 *
 * Also the suggestion for a name that is no asset (resolve_suggest).
 *
 * Pure: works on arrays the caller owns, allocates nothing.
 */
#ifndef GLIA_RESOLVE_H
#define GLIA_RESOLVE_H

#include <stddef.h>

/* One mechanism an asset name may mean. */
struct resolve_cand {
    const char *full; /* full NEURON name */
    const char *pkg;
    const char *variant;
};

/* A pkg/variant pair; NULL means "not set". */
struct resolve_pref {
    const char *pkg;
    const char *variant;
};

struct resolve_asset_pref {
    const char *asset;
    struct resolve_pref pref;
};

/* One scope: its general preference and its per-asset ones. */
struct resolve_scope {
    const char *name; /* for explanations: "global", "script", "context 2", "call" */
    struct resolve_pref general;
    /* An asset listed twice: per field, the last entry that sets it wins. */
    const struct resolve_asset_pref *assets;
    size_t nassets;
};

struct resolve_query {
    const char *asset;
    /* Lowest first. The call's own pkg/variant go in `call`, not here. */
    const struct resolve_scope *scopes;
    size_t nscopes;
    struct resolve_pref call;
};

enum resolve_status {
    RESOLVE_OK,
    RESOLVE_UNKNOWN_ASSET, /* no candidate at all */
    RESOLVE_NO_MATCH,      /* candidates exist, none fits the call's pkg/variant */
    RESOLVE_AMBIGUOUS,     /* several fit and no tie-break applies */
};

#define RESOLVE_MAX_MATCHES 64

struct resolve_result {
    enum resolve_status status;
    size_t chosen; /* index into the candidates when RESOLVE_OK */
    /* The pkg/variant the preferences asked for and the scope each came from
     * (NULL when unset); used to explain a choice. */
    struct resolve_pref wanted;
    const char *pkg_from;
    const char *variant_from;
    int fell_back; /* preferences matched nothing; resolved without them */
    int tie_break; /* several matched; variant "0" of the one package won */
    /* When RESOLVE_AMBIGUOUS: indices of every matching candidate
     * (at most RESOLVE_MAX_MATCHES; nmatches counts them all). */
    size_t matches[RESOLVE_MAX_MATCHES];
    size_t nmatches;
};

/* Resolves q against `n` candidates (all the candidates of q->asset). */
void resolve(const struct resolve_cand *cands, size_t n, const struct resolve_query *q,
             struct resolve_result *out);

const char *resolve_status_code(enum resolve_status s); /* "ok", "unknown_asset", ... */

/* ---- What an unknown name probably meant ---- */

/* Names longer than this are never near anything (it bounds the work). */
#define RESOLVE_NEAR_MAX 128

/* The number of edits between a and b: insertions, deletions,
 * substitutions and swaps of two neighbours count 1 each, a letter's case
 * counts 0 (Damerau-Levenshtein, optimal string alignment). SIZE_MAX when
 * either is longer than RESOLVE_NEAR_MAX. */
size_t resolve_distance(const char *a, const char *b);

/* The one of `names` `typed` is most likely a typo of: the closest, when
 * at most 2 edits away and fewer than half typed's length (so a short name
 * is not "near" everything); equally close ones go by name order. NULL when
 * none is that close. */
const char *resolve_suggest(const char *typed, const char *const *names, size_t n);

#endif
