/*
 * modfile: a single-pass reader for the interface of an NMODL file.
 *
 * A small lexer feeds a parser that understands three blocks (NEURON,
 * PARAMETER, and the TITLE/INCLUDE statements) and skips every other block by
 * brace matching. The lexer follows nocmodl 7.x (src/nmodl/lex.lpp, io.cpp)
 * wherever a difference would change which bytes we take for the mechanism
 * name, because a build rewrites exactly those bytes:
 *  - `:` and `?` start a comment that runs to the end of the line.
 *  - COMMENT and VERBATIM bodies end at the first line whose first word is
 *    ENDCOMMENT / ENDVERBATIM; the rest of that line is swallowed too.
 *  - TITLE takes the rest of its line as text, cut at a '!'.
 *  - Line ends are "\n", "\r\n" or a lone "\r".
 *  - A NUL byte hides the rest of its line (nocmodl reads lines into C strings).
 *  - Strings may span lines.
 * What NEURON will register follows nocmodl too, as tests/diff checks:
 *  - With no SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL (no NEURON block at
 *    all, or one without a name) the mod is a density mechanism named after
 *    its file (named_by_file).
 *  - Several NEURON blocks are one; of several name statements the last one
 *    names the mechanism, and any ARTIFICIAL_CELL, else any POINT_PROCESS,
 *    makes it that kind.
 * Where nocmodl differs and the name is not at stake we choose for the index:
 * non-ASCII bytes (which nocmodl 7.7 rejects outside COMMENT bodies) are
 * accepted in comments and text. nocmodl still has the last word when the
 * file is built.
 *
 * Inside NEURON and PARAMETER we are strict about punctuation: a block we
 * misread could make a build rewrite the wrong bytes, so anything that does
 * not fit the grammar is an error rather than a guess.
 */
#include "modfile.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define MODFILE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MODFILE_PRINTF(f, a)
#endif

enum tok_type {
    TOK_END,
    TOK_NAME,
    TOK_NUMBER,
    TOK_STRING, /* start/len cover the text between the quotes */
    TOK_TITLE,  /* start/len cover the rest of the TITLE line */
    TOK_PUNCT,  /* one byte, whatever it is */
};

struct token {
    enum tok_type type;
    size_t start;
    size_t len;
    int line;
};

struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int line;
    int failed;
    int seen_title;
    int seen_table; /* a TABLE statement: nocmodl adds the `usetable` global */
    /* ASSIGNED names: a GLOBAL is a hoc name only when it is declared. */
    char **assigned;
    size_t nassigned;
    struct token ahead; /* valid when have_ahead */
    int have_ahead;
    struct modfile_info *info;
    struct modfile_error *err;
};

/* Where a list of names goes; names == NULL discards them. */
struct name_list {
    char ***names;
    size_t *count;
};

/* ---- errors and memory ---- */

static MODFILE_PRINTF(3, 4) void fail(struct parser *p, int line, const char *fmt, ...)
{
    va_list ap;

    /* The first problem is the one worth reporting; later ones are fallout. */
    if (p->failed)
        return;
    p->failed = 1;
    if (!p->err)
        return;
    p->err->line = line;
    va_start(ap, fmt);
    vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
    va_end(ap);
}

static char *dup_span(const char *s, size_t n)
{
    char *copy = malloc(n + 1);

    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* Arrays grow in powers of two from 4; the capacity follows from the count,
 * so the public structs need no capacity fields. Returns the (possibly moved)
 * array with room for count + 1 items, or NULL when out of memory. */
static void *room_for_one(void *items, size_t count, size_t size)
{
    size_t cap;

    if (count != 0 && (count < 4 || (count & (count - 1)) != 0))
        return items;
    cap = count == 0 ? 4 : count * 2;
    if (cap < count || cap > SIZE_MAX / size)
        return NULL;
    return realloc(items, cap * size);
}

static int push_string(struct parser *p, struct name_list to, const char *s, size_t n, int line)
{
    char **grown;
    char *copy;

    if (!to.names)
        return 0;
    grown = room_for_one(*to.names, *to.count, sizeof **to.names);
    if (grown)
        *to.names = grown;
    copy = grown ? dup_span(s, n) : NULL;
    if (!copy) {
        fail(p, line, "out of memory");
        return -1;
    }
    grown[(*to.count)++] = copy;
    return 0;
}

/* ---- bytes ---- */

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_name_start(unsigned char c)
{
    return is_alpha(c) || c == '_';
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || is_digit(c);
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static int is_newline(unsigned char c)
{
    return c == '\n' || c == '\r';
}

static unsigned char byte_at(const struct parser *p, size_t i)
{
    return i < p->len ? (unsigned char)p->text[i] : '\0';
}

/* Index of the line end (or the end of text) at or after i. */
static size_t line_end(const struct parser *p, size_t i)
{
    while (i < p->len && !is_newline(p->text[i]))
        i++;
    return i;
}

/* Like line_end, but a NUL ends the line's text: nocmodl never sees past it. */
static size_t text_end(const struct parser *p, size_t i)
{
    while (i < p->len && !is_newline(p->text[i]) && p->text[i] != '\0')
        i++;
    return i;
}

/* Steps over one byte, or one whole "\r\n", counting lines. */
static void advance(struct parser *p)
{
    unsigned char c = byte_at(p, p->pos);

    if (c == '\r' && byte_at(p, p->pos + 1) == '\n')
        p->pos++;
    if (is_newline(c))
        p->line++;
    p->pos++;
}

/* The last line of the text, for problems only noticed at its end: a final
 * newline ends that line rather than starting an empty one. */
static int eof_line(const struct parser *p)
{
    if (p->len > 0 && is_newline(p->text[p->len - 1]) && p->line > 1)
        return p->line - 1;
    return p->line;
}

static void trim(const char *s, size_t *start, size_t *end)
{
    while (*start < *end && is_blank(s[*start]))
        (*start)++;
    while (*end > *start && is_blank(s[*end - 1]))
        (*end)--;
}

/* ---- lexer ---- */

static void skip_space(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->text[p->pos];

        if (is_blank(c) || is_newline(c))
            advance(p);
        else if (c == ':' || c == '?' || c == '\0')
            p->pos = line_end(p, p->pos);
        else
            break;
    }
}

/* nocmodl's isend(): the line's first word, letters only, is `word`. */
static int line_starts_with(const struct parser *p, const char *word)
{
    size_t i = p->pos, n = strlen(word);

    while (i < p->len && (p->text[i] == ' ' || p->text[i] == '\t'))
        i++;
    return p->len - i >= n && memcmp(p->text + i, word, n) == 0 && !is_alpha(byte_at(p, i + n));
}

/* A VERBATIM line `#include "file"` (not <file>: that one is the system's). */
static void c_include(struct parser *p)
{
    size_t i = p->pos, end = text_end(p, p->pos);
    while (i < end && (p->text[i] == ' ' || p->text[i] == '\t'))
        i++;
    if (i >= end || p->text[i] != '#')
        return;
    for (i++; i < end && (p->text[i] == ' ' || p->text[i] == '\t');)
        i++;
    if (end - i < 7 || memcmp(p->text + i, "include", 7) != 0)
        return;
    for (i += 7; i < end && (p->text[i] == ' ' || p->text[i] == '\t');)
        i++;
    if (i >= end || p->text[i] != '"')
        return;
    const char *q = memchr(p->text + i + 1, '"', end - i - 1);
    if (q && q > p->text + i + 1)
        push_string(p, (struct name_list){&p->info->c_includes, &p->info->nc_includes},
                    p->text + i + 1, (size_t)(q - p->text - i - 1), p->line);
}

/* Skips a COMMENT or VERBATIM body, starting with the rest of the keyword's line. */
static void skip_raw_block(struct parser *p, const char *keyword, const char *end, int opened)
{
    int verbatim = keyword[0] == 'V';
    for (;;) {
        if (line_starts_with(p, end)) {
            p->pos = line_end(p, p->pos);
            return;
        }
        if (verbatim)
            c_include(p);
        p->pos = line_end(p, p->pos);
        if (p->pos >= p->len) {
            fail(p, eof_line(p), "%s never closed (opened at line %d)", keyword, opened);
            return;
        }
        advance(p);
    }
}

static int span_is(const struct parser *p, size_t start, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(p->text + start, word, len) == 0;
}

static void lex_title(struct parser *p, struct token *t)
{
    size_t end = text_end(p, p->pos);
    const char *bang = memchr(p->text + p->pos, '!', end - p->pos);

    t->type = TOK_TITLE;
    t->start = p->pos;
    t->len = (bang ? (size_t)(bang - p->text) : end) - p->pos;
    p->pos = line_end(p, p->pos);
}

static void lex_number(struct parser *p, struct token *t)
{
    size_t i = p->pos;

    while (is_digit(byte_at(p, i)))
        i++;
    if (byte_at(p, i) == '.')
        i++;
    while (is_digit(byte_at(p, i)))
        i++;
    if (byte_at(p, i) == 'e' || byte_at(p, i) == 'E') {
        size_t j = i + 1;

        if (byte_at(p, j) == '+' || byte_at(p, j) == '-')
            j++;
        if (is_digit(byte_at(p, j))) {
            while (is_digit(byte_at(p, j)))
                j++;
            i = j;
        }
    }
    t->type = TOK_NUMBER;
    t->len = i - p->pos;
    p->pos = i;
}

static void lex_string(struct parser *p, struct token *t)
{
    advance(p);
    t->start = p->pos;
    while (p->pos < p->len && p->text[p->pos] != '"')
        advance(p);
    if (p->pos >= p->len) {
        fail(p, eof_line(p), "string never closed (opened at line %d)", t->line);
        t->type = TOK_END;
        return;
    }
    t->type = TOK_STRING;
    t->len = p->pos - t->start;
    p->pos++;
}

/* Returns 1 when the name was a keyword whose text the lexer consumed itself. */
static int lex_name(struct parser *p, struct token *t)
{
    size_t i = p->pos;

    while (is_name_char(byte_at(p, i)))
        i++;
    t->type = TOK_NAME;
    t->len = i - p->pos;
    p->pos = i;
    if (span_is(p, t->start, t->len, "COMMENT")) {
        skip_raw_block(p, "COMMENT", "ENDCOMMENT", t->line);
        return 1;
    }
    if (span_is(p, t->start, t->len, "VERBATIM")) {
        skip_raw_block(p, "VERBATIM", "ENDVERBATIM", t->line);
        return 1;
    }
    if (span_is(p, t->start, t->len, "TITLE"))
        lex_title(p, t);
    return 0;
}

static struct token lex(struct parser *p)
{
    for (;;) {
        struct token t;
        unsigned char c;

        skip_space(p);
        t.type = TOK_END;
        t.start = p->pos;
        t.len = 0;
        t.line = p->line;
        if (p->failed || p->pos >= p->len)
            return t;
        c = p->text[p->pos];
        if (is_name_start(c)) {
            if (lex_name(p, &t))
                continue;
        } else if (is_digit(c) || (c == '.' && is_digit(byte_at(p, p->pos + 1)))) {
            lex_number(p, &t);
        } else if (c == '"') {
            lex_string(p, &t);
        } else {
            t.type = TOK_PUNCT;
            t.len = 1;
            p->pos++;
        }
        return t;
    }
}

/* One token of lookahead. Raw reads of the text (units, ontology ids) happen
 * only right after next(), when nothing is held back. */
static struct token next(struct parser *p)
{
    if (p->have_ahead && !p->failed) {
        p->have_ahead = 0;
        return p->ahead;
    }
    return lex(p);
}

static const struct token *peek(struct parser *p)
{
    if (!p->have_ahead) {
        p->ahead = lex(p);
        p->have_ahead = 1;
    }
    return &p->ahead;
}

static int is_word(const struct parser *p, const struct token *t, const char *word)
{
    return t->type == TOK_NAME && span_is(p, t->start, t->len, word);
}

static int is_punct(const struct parser *p, const struct token *t, char c)
{
    return t->type == TOK_PUNCT && p->text[t->start] == c;
}

/* Describes a token for "unexpected ..." messages. */
static const char *describe(const struct parser *p, const struct token *t, char *buf, size_t n)
{
    /* Only a punctuation token has a byte to show: the end token's start
     * is the text's length. */
    unsigned char c = t->type == TOK_PUNCT ? (unsigned char)p->text[t->start] : 0;

    switch (t->type) {
    case TOK_NAME:
        return "name";
    case TOK_NUMBER:
        return "number";
    case TOK_STRING:
        return "string";
    case TOK_TITLE:
        return "TITLE";
    case TOK_PUNCT:
        if (c >= 0x20 && c < 0x7f)
            snprintf(buf, n, "'%c'", c);
        else
            snprintf(buf, n, "byte 0x%02X", c);
        return buf;
    case TOK_END:
        break;
    }
    return "end of file";
}

static void fail_unexpected(struct parser *p, const struct token *t, const char *where)
{
    char buf[16];

    fail(p, t->line, "unexpected %s in %s", describe(p, t, buf, sizeof buf), where);
}

static int expect_open(struct parser *p, const struct token *kw, const char *what)
{
    struct token t = next(p);

    if (is_punct(p, &t, '{'))
        return 0;
    fail(p, kw->line, "expected '{' after %s", what);
    return -1;
}

/* ---- NEURON block ---- */

static void parse_names(struct parser *p, const struct token *kw, struct name_list to)
{
    const struct token *after = kw;
    struct token comma;

    for (;;) {
        struct token t = next(p);

        if (t.type != TOK_NAME) {
            if (after == kw)
                fail(p, kw->line, "expected a name after %.*s", (int)kw->len, p->text + kw->start);
            else
                fail(p, after->line, "expected a name after ',' in %.*s", (int)kw->len,
                     p->text + kw->start);
            return;
        }
        if (push_string(p, to, p->text + t.start, t.len, t.line) < 0)
            return;
        if (!is_punct(p, peek(p), ','))
            return;
        comma = next(p);
        after = &comma;
    }
}

static void parse_kind(struct parser *p, const struct token *kw, enum modfile_kind kind)
{
    struct modfile_info *info = p->info;
    struct token t;

    t = next(p);
    if (t.type != TOK_NAME) {
        fail(p, kw->line, "expected a name after %.*s", (int)kw->len, p->text + kw->start);
        return;
    }
    /* nocmodl keeps the last name, and a point process or artificial cell
     * flag once set: the enum is ordered so that the larger kind wins. */
    if (!info->name || kind > info->kind)
        info->kind = kind;
    free(info->name);
    info->name = dup_span(p->text + t.start, t.len);
    if (!info->name) {
        fail(p, t.line, "out of memory");
        return;
    }
    info->name_offset = t.start;
    info->name_length = t.len;
    info->name_line = t.line;
}

/* REPRESENTS takes an ontology id such as NCIT:C17145 or [NCIT:C17145]; its
 * ':' would otherwise start a comment, so it is read raw as nocmodl does. */
static void skip_ontology_id(struct parser *p)
{
    while (p->pos < p->len && is_blank(p->text[p->pos]))
        p->pos++;
    if (byte_at(p, p->pos) == '[') {
        size_t end = line_end(p, p->pos);
        const char *close = memchr(p->text + p->pos, ']', end - p->pos);

        p->pos = close ? (size_t)(close - p->text) + 1 : end;
        return;
    }
    while (is_name_char(byte_at(p, p->pos)))
        p->pos++;
    if (byte_at(p, p->pos) == ':')
        p->pos++;
    while (is_name_char(byte_at(p, p->pos)))
        p->pos++;
}

/* A value with an optional leading '-', normalised to "-2" however it is spaced. */
static char *read_signed(struct parser *p, const struct token *after, const char *what)
{
    int negative = is_punct(p, peek(p), '-');
    struct token t;
    char *value;

    if (negative)
        next(p);
    t = next(p);
    if (t.type != TOK_NUMBER && t.type != TOK_NAME) {
        fail(p, after->line, "expected a number after %s", what);
        return NULL;
    }
    value = t.len < SIZE_MAX - 1 ? malloc(t.len + 2) : NULL;
    if (!value) {
        fail(p, t.line, "out of memory");
        return NULL;
    }
    value[0] = '-';
    memcpy(value + negative, p->text + t.start, t.len);
    value[negative + t.len] = '\0';
    return value;
}

static void parse_useion(struct parser *p, const struct token *kw)
{
    struct modfile_info *info = p->info;
    struct modfile_ion *ions, *ion;
    struct token t = next(p);

    if (t.type != TOK_NAME) {
        fail(p, kw->line, "expected an ion name after USEION");
        return;
    }
    ions = room_for_one(info->ions, info->nions, sizeof *info->ions);
    if (!ions) {
        fail(p, t.line, "out of memory");
        return;
    }
    info->ions = ions;
    ion = &ions[info->nions++];
    memset(ion, 0, sizeof *ion);
    ion->name = dup_span(p->text + t.start, t.len);
    if (!ion->name) {
        fail(p, t.line, "out of memory");
        return;
    }
    while (!p->failed && peek(p)->type == TOK_NAME) {
        struct token word = *peek(p);

        if (is_word(p, &word, "READ")) {
            next(p);
            parse_names(p, &word, (struct name_list){&ion->read, &ion->nread});
        } else if (is_word(p, &word, "WRITE")) {
            next(p);
            parse_names(p, &word, (struct name_list){&ion->write, &ion->nwrite});
        } else if (is_word(p, &word, "VALENCE") && !ion->valence) {
            next(p);
            ion->valence = read_signed(p, &word, "VALENCE");
        } else if (is_word(p, &word, "REPRESENTS")) {
            next(p);
            skip_ontology_id(p);
        } else {
            return;
        }
    }
}

/* Which list a NEURON statement fills; 0 when the keyword takes no list. */
static int neuron_list(struct parser *p, const struct token *kw, struct name_list *to)
{
    struct modfile_info *info = p->info;

    if (is_word(p, kw, "RANGE"))
        *to = (struct name_list){&info->ranges, &info->nranges};
    else if (is_word(p, kw, "GLOBAL"))
        *to = (struct name_list){&info->globals, &info->nglobals};
    else if (is_word(p, kw, "POINTER") || is_word(p, kw, "BBCOREPOINTER"))
        *to = (struct name_list){&info->pointers, &info->npointers};
    else if (is_word(p, kw, "NONSPECIFIC_CURRENT") || is_word(p, kw, "ELECTRODE_CURRENT"))
        *to = (struct name_list){&info->nonspecific, &info->nnonspecific};
    else if (is_word(p, kw, "EXTERNAL"))
        *to = (struct name_list){NULL, NULL};
    else
        return 0;
    return 1;
}

/* Statements we do not know (THREADSAFE, future keywords) are skipped with
 * any ", name" tail, so a list after them is not mistaken for bad syntax. */
static void skip_unknown_statement(struct parser *p)
{
    while (!p->failed && is_punct(p, peek(p), ',')) {
        struct token comma = next(p);
        struct token t = next(p);

        if (t.type != TOK_NAME)
            fail(p, comma.line, "expected a name after ','");
    }
}

static void parse_neuron_statement(struct parser *p, const struct token *kw)
{
    struct name_list to;

    if (is_word(p, kw, "SUFFIX"))
        parse_kind(p, kw, MODFILE_DENSITY);
    else if (is_word(p, kw, "POINT_PROCESS"))
        parse_kind(p, kw, MODFILE_POINT);
    else if (is_word(p, kw, "ARTIFICIAL_CELL"))
        parse_kind(p, kw, MODFILE_ARTIFICIAL);
    else if (is_word(p, kw, "USEION"))
        parse_useion(p, kw);
    else if (is_word(p, kw, "REPRESENTS"))
        skip_ontology_id(p);
    else if (neuron_list(p, kw, &to))
        parse_names(p, kw, to);
    else
        skip_unknown_statement(p);
}

static void parse_neuron(struct parser *p, const struct token *kw)
{
    if (expect_open(p, kw, "NEURON") < 0)
        return;
    for (;;) {
        struct token t = next(p);

        if (t.type == TOK_END) {
            fail(p, eof_line(p), "NEURON block never closed (opened at line %d)", kw->line);
            return;
        }
        if (is_punct(p, &t, '}'))
            return;
        if (t.type != TOK_NAME) {
            fail_unexpected(p, &t, "NEURON block");
            return;
        }
        parse_neuron_statement(p, &t);
        if (p->failed)
            return;
    }
}

/* ---- PARAMETER block ---- */

static struct modfile_param *add_param(struct parser *p, const struct token *name)
{
    struct modfile_info *info = p->info;
    struct modfile_param *params, *param;

    params = room_for_one(info->params, info->nparams, sizeof *info->params);
    if (!params) {
        fail(p, name->line, "out of memory");
        return NULL;
    }
    info->params = params;
    param = &params[info->nparams++];
    memset(param, 0, sizeof *param);
    param->line = name->line;
    param->name = dup_span(p->text + name->start, name->len);
    if (!param->name) {
        fail(p, name->line, "out of memory");
        return NULL;
    }
    return param;
}

/* Consumes tokens up to and including `close` (the array size, the limits). */
static void skip_to(struct parser *p, char close, const struct modfile_param *param)
{
    for (;;) {
        struct token t = next(p);

        if (is_punct(p, &t, close))
            return;
        if (t.type == TOK_END || is_punct(p, &t, '}') || is_punct(p, &t, '{')) {
            fail(p, param->line, "expected '%c' after %s", close, param->name);
            return;
        }
    }
}

/* Units are free text up to ')' on the same line, as nocmodl's inputtopar() reads them. */
static void read_units(struct parser *p, struct modfile_param *param)
{
    size_t start = p->pos, end = text_end(p, p->pos);
    const char *close = memchr(p->text + start, ')', end - start);

    if (!close) {
        fail(p, p->line, "units of %s never closed: missing ')'", param->name);
        return;
    }
    end = (size_t)(close - p->text);
    p->pos = end + 1;
    trim(p->text, &start, &end);
    if (end == start)
        return;
    param->units = dup_span(p->text + start, end - start);
    if (!param->units)
        fail(p, param->line, "out of memory");
}

/* name [ '[' size ']' ] [ '=' value ] [ '(' units ')' ] [ '<' lo ',' hi '>' ] */
static void parse_param(struct parser *p, const struct token *name)
{
    struct modfile_param *param = add_param(p, name);
    struct token t;

    if (!param)
        return;
    if (is_punct(p, peek(p), '[')) {
        next(p);
        skip_to(p, ']', param);
    }
    if (!p->failed && is_punct(p, peek(p), '=')) {
        t = next(p);
        param->value = read_signed(p, &t, "'='");
    }
    if (!p->failed && is_punct(p, peek(p), '(')) {
        next(p);
        read_units(p, param);
    }
    if (!p->failed && is_punct(p, peek(p), '<')) {
        next(p);
        skip_to(p, '>', param);
    }
}

static void parse_parameter(struct parser *p, const struct token *kw)
{
    if (expect_open(p, kw, "PARAMETER") < 0)
        return;
    for (;;) {
        struct token t = next(p);

        if (t.type == TOK_END) {
            fail(p, eof_line(p), "PARAMETER block never closed (opened at line %d)", kw->line);
            return;
        }
        if (is_punct(p, &t, '}'))
            return;
        if (t.type != TOK_NAME) {
            fail_unexpected(p, &t, "PARAMETER block");
            return;
        }
        parse_param(p, &t);
        if (p->failed)
            return;
    }
}

/* ---- ASSIGNED block ---- */

/* Only the names matter here: each is a name, then any of [size], (units),
 * FROM/TO/START values and <limits>, which are skipped. */
static void parse_assigned(struct parser *p, const struct token *kw)
{
    struct name_list to = {&p->assigned, &p->nassigned};

    if (expect_open(p, kw, "ASSIGNED") < 0)
        return;
    while (!p->failed) {
        struct token t = next(p);

        if (t.type == TOK_END) {
            fail(p, eof_line(p), "ASSIGNED block never closed (opened at line %d)", kw->line);
        } else if (is_punct(p, &t, '}')) {
            return;
        } else if (is_punct(p, &t, '(')) {
            size_t end = text_end(p, p->pos);
            const char *close = memchr(p->text + p->pos, ')', end - p->pos);

            p->pos = close ? (size_t)(close - p->text) + 1 : end;
        } else if (t.type == TOK_NAME && !is_word(p, &t, "FROM") && !is_word(p, &t, "TO") &&
                   !is_word(p, &t, "START")) {
            push_string(p, to, p->text + t.start, t.len, t.line);
        }
    }
}

/* ---- top level ---- */

static void set_title(struct parser *p, const struct token *t)
{
    size_t start = t->start, end = t->start + t->len;

    /* nocmodl keeps the first TITLE; so do we, even an empty one. */
    if (p->seen_title)
        return;
    p->seen_title = 1;
    trim(p->text, &start, &end);
    if (end == start)
        return;
    p->info->title = dup_span(p->text + start, end - start);
    if (!p->info->title)
        fail(p, t->line, "out of memory");
}

static void parse_include(struct parser *p, const struct token *kw)
{
    struct token t = next(p);

    if (t.type != TOK_STRING) {
        fail(p, kw->line, "expected a quoted file name after INCLUDE");
        return;
    }
    push_string(p, (struct name_list){&p->info->includes, &p->info->nincludes}, p->text + t.start,
                t.len, t.line);
}

/* FUNCTION, PROCEDURE or FUNCTION_TABLE: the name is a hoc function; the
 * arguments and body that follow are skipped as any other tokens are. */
static void parse_function(struct parser *p, const struct token *kw)
{
    struct name_list to = {&p->info->functions, &p->info->nfunctions};
    struct token t = next(p);
    char *table;

    if (t.type != TOK_NAME) {
        fail(p, kw->line, "expected a name after %.*s", (int)kw->len, p->text + kw->start);
        return;
    }
    if (push_string(p, to, p->text + t.start, t.len, t.line) < 0 ||
        !is_word(p, kw, "FUNCTION_TABLE"))
        return;
    /* NEURON also registers table_<name>, which fills the table from hoc. */
    table = malloc(t.len + sizeof "table_");
    if (table) {
        memcpy(table, "table_", 6);
        memcpy(table + 6, p->text + t.start, t.len);
    }
    if (!table || push_string(p, to, table, t.len + 6, t.line) < 0)
        fail(p, t.line, "out of memory");
    free(table);
}

/* Any other block: only its extent matters, and whether it has a TABLE. */
static void skip_block(struct parser *p, const struct token *open)
{
    int depth = 1;

    while (depth > 0) {
        struct token t = next(p);

        if (t.type == TOK_END) {
            fail(p, eof_line(p), "block opened at line %d never closed", open->line);
            return;
        }
        if (is_punct(p, &t, '{'))
            depth++;
        else if (is_punct(p, &t, '}'))
            depth--;
        else if (is_word(p, &t, "TABLE"))
            p->seen_table = 1;
    }
}

/* ---- what NEURON registers ---- */

static int in_list(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* A variable NEURON itself provides; a mod may declare it but owns no copy. */
static int is_neuron_variable(const char *name)
{
    static const char *const own[] = {"v", "t", "dt", "celsius", "diam", "area"};

    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strcmp(name, own[i]) == 0)
            return 1;
    return 0;
}

static int is_ion_variable(const struct modfile_info *info, const char *name)
{
    for (size_t i = 0; i < info->nions; i++) {
        const struct modfile_ion *ion = &info->ions[i];

        if (in_list(ion->read, ion->nread, name) || in_list(ion->write, ion->nwrite, name))
            return 1;
    }
    return 0;
}

/* A PARAMETER nocmodl leaves global: not RANGE, and not a variable that lives
 * elsewhere (an ion's, a POINTER's target, a current, NEURON's own). */
static int is_global_parameter(const struct modfile_info *info, const char *name)
{
    return !in_list(info->ranges, info->nranges, name) && !is_ion_variable(info, name) &&
           !in_list(info->pointers, info->npointers, name) &&
           !in_list(info->nonspecific, info->nnonspecific, name) && !is_neuron_variable(name);
}

static void add_hoc_global(struct parser *p, const char *name)
{
    struct modfile_info *info = p->info;

    if (!in_list(info->hoc_globals, info->nhoc_globals, name))
        push_string(p, (struct name_list){&info->hoc_globals, &info->nhoc_globals}, name,
                    strlen(name), eof_line(p));
}

/* nocmodl accepts a GLOBAL that only a TABLE statement declares, but does
 * not register it. */
static int is_declared(const struct parser *p, const char *name)
{
    const struct modfile_info *info = p->info;

    if (in_list(p->assigned, p->nassigned, name))
        return 1;
    for (size_t i = 0; i < info->nparams; i++)
        if (strcmp(info->params[i].name, name) == 0)
            return 1;
    return 0;
}

static void collect_hoc_globals(struct parser *p)
{
    struct modfile_info *info = p->info;

    for (size_t i = 0; i < info->nglobals && !p->failed; i++)
        if (is_declared(p, info->globals[i]))
            add_hoc_global(p, info->globals[i]);
    for (size_t i = 0; i < info->nparams && !p->failed; i++)
        if (is_global_parameter(info, info->params[i].name))
            add_hoc_global(p, info->params[i].name);
    if (p->seen_table && !p->failed)
        add_hoc_global(p, "usetable");
}

static void free_ion(struct modfile_ion *ion);
static void free_strings(char **list, size_t n);

/* SUFFIX nothing registers no mechanism, so none of its ions either: its
 * USEION statements can neither add an ion nor disagree on a valence. */
static void drop_ions(struct modfile_info *info)
{
    for (size_t i = 0; i < info->nions; i++)
        free_ion(&info->ions[i]);
    free(info->ions);
    info->ions = NULL;
    info->nions = 0;
}

static void parse_top(struct parser *p)
{
    for (;;) {
        struct token t = next(p);

        if (t.type == TOK_END)
            break;
        if (t.type == TOK_TITLE) {
            set_title(p, &t);
        } else if (is_word(p, &t, "NEURON")) {
            parse_neuron(p, &t);
        } else if (is_word(p, &t, "FUNCTION") || is_word(p, &t, "PROCEDURE") ||
                   is_word(p, &t, "FUNCTION_TABLE")) {
            parse_function(p, &t);
        } else if (is_word(p, &t, "PARAMETER")) {
            parse_parameter(p, &t);
        } else if (is_word(p, &t, "ASSIGNED")) {
            parse_assigned(p, &t);
        } else if (is_word(p, &t, "INCLUDE")) {
            parse_include(p, &t);
        } else if (is_punct(p, &t, '{')) {
            skip_block(p, &t);
        } else if (is_punct(p, &t, '}')) {
            fail(p, t.line, "'}' without a matching '{'");
        }
    }
    if (p->failed)
        return;
    if (!p->info->name) {
        p->info->named_by_file = 1;
        p->info->kind = MODFILE_DENSITY;
    }
    collect_hoc_globals(p);
    if (p->info->name && strcmp(p->info->name, "nothing") == 0) {
        drop_ions(p->info);
        if (p->info->kind == MODFILE_DENSITY)
            p->info->kind = MODFILE_LIBRARY;
    }
}

int modfile_parse(const char *text, size_t len, struct modfile_info *out, struct modfile_error *err)
{
    struct parser p;

    memset(&p, 0, sizeof p);
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    p.err = err;
    if (!out) {
        fail(&p, 0, "no place for the result");
        return -1;
    }
    memset(out, 0, sizeof *out);
    p.text = text ? text : "";
    p.len = text ? len : 0;
    p.line = 1;
    p.info = out;
    parse_top(&p);
    free_strings(p.assigned, p.nassigned);
    if (p.failed) {
        modfile_info_free(out);
        return -1;
    }
    return 0;
}

static void free_strings(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void free_ion(struct modfile_ion *ion)
{
    free(ion->name);
    free_strings(ion->read, ion->nread);
    free_strings(ion->write, ion->nwrite);
    free(ion->valence);
}

void modfile_info_free(struct modfile_info *info)
{
    if (!info)
        return;
    free(info->name);
    free(info->title);
    for (size_t i = 0; i < info->nions; i++)
        free_ion(&info->ions[i]);
    free(info->ions);
    free_strings(info->ranges, info->nranges);
    free_strings(info->globals, info->nglobals);
    free_strings(info->pointers, info->npointers);
    free_strings(info->nonspecific, info->nnonspecific);
    free_strings(info->functions, info->nfunctions);
    free_strings(info->hoc_globals, info->nhoc_globals);
    for (size_t i = 0; i < info->nparams; i++) {
        free(info->params[i].name);
        free(info->params[i].value);
        free(info->params[i].units);
    }
    free(info->params);
    free_strings(info->includes, info->nincludes);
    free_strings(info->c_includes, info->nc_includes);
    memset(info, 0, sizeof *info);
}

int modfile_name_after_file(struct modfile_info *info, const char *path)
{
    const char *base = strrchr(path, '/');
    size_t n;

    if (!info->named_by_file)
        return 0;
    base = base ? base + 1 : path;
    n = strlen(base);
    if (n >= 4 && memcmp(base + n - 4, ".mod", 4) == 0)
        n -= 4;
    free(info->name);
    info->name = dup_span(base, n);
    info->name_offset = 0;
    info->name_length = 0;
    info->name_line = 0;
    return info->name ? 0 : -1;
}

const char *modfile_kind_name(enum modfile_kind kind)
{
    switch (kind) {
    case MODFILE_DENSITY:
        return "density";
    case MODFILE_POINT:
        return "point";
    case MODFILE_ARTIFICIAL:
        return "artificial";
    case MODFILE_LIBRARY:
        return "library";
    }
    return "unknown";
}
