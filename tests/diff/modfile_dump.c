/*
 * modfile_dump: prints gliad's reading of mod files, one JSON object a line,
 * for the differential test against nocmodl (modfile_diff.py).
 *
 *   modfile_dump FILE.mod...           what NEURON will register, as gliad reads it:
 *     {"file":..,"ok":true,"name":..,"kind":..,"ions":{..},"globals":[..],"functions":[..]}
 *     {"file":..,"ok":false,"line":N,"message":..}
 *   modfile_dump --diag OUTPUT FILE.mod  the line gliad's build diagnostic gives
 *     when nocmodl, run on FILE.mod, printed the text in OUTPUT:
 *     {"file":..,"line":N,"summary":..}
 *   modfile_dump --rename NAME FILE.mod  the text a build compiles when it
 *     renames the mechanism to NAME (unchanged when the file names it: the
 *     build's copy is then called NAME.mod)
 *
 * The mechanism is named as the scan names it (after the file when the mod
 * names none). Kind "nothing" is SUFFIX nothing: nocmodl registers no
 * mechanism then, and its GLOBALs and functions are hoc names as they are.
 */
#include "cache.h"
#include "diag.h"
#include "modfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n;

    *len = 0;
    if (!f)
        return NULL;
    do {
        if (*len == cap) {
            /* One byte over for the NUL diag_nocmodl's text needs. */
            char *grown = realloc(buf, (cap = cap ? cap * 2 : 65536) + 1);
            if (!grown)
                break;
            buf = grown;
        }
        n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
    } while (n > 0);
    fclose(f);
    if (buf)
        buf[*len] = '\0';
    return buf;
}

/* Bytes over 0x7f are shown as Latin-1 code points: JSON wants text, and
 * what matters to the test is only whether a message exists. */
static void put_json_string(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if (*c < 0x20 || *c > 0x7e)
            printf("\\u%04x", *c);
        else
            putchar(*c);
    }
    putchar('"');
}

static void put_list(const char *key, char **names, size_t n)
{
    printf(",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        put_json_string(names[i]);
    }
    putchar(']');
}

static void put_ions(const struct modfile_info *info)
{
    fputs(",\"ions\":{", stdout);
    for (size_t i = 0; i < info->nions; i++) {
        if (i)
            putchar(',');
        put_json_string(info->ions[i].name);
        putchar(':');
        put_json_string(info->ions[i].valence);
    }
    putchar('}');
}

static void dump_info(const struct modfile_info *info)
{
    int nothing = strcmp(info->name, "nothing") == 0;

    fputs(",\"ok\":true,\"name\":", stdout);
    put_json_string(nothing ? NULL : info->name);
    printf(",\"kind\":\"%s\"", nothing ? "nothing" : modfile_kind_name(info->kind));
    put_ions(info);
    put_list("globals", info->hoc_globals, info->nhoc_globals);
    put_list("functions", info->functions, info->nfunctions);
}

static int dump_file(const char *path)
{
    struct modfile_info info;
    struct modfile_error err;
    size_t len;
    char *text = slurp(path, &len);

    fputs("{\"file\":", stdout);
    put_json_string(path);
    if (!text) {
        fputs(",\"ok\":false,\"line\":0,\"message\":\"cannot read\"}\n", stdout);
        return 1;
    }
    if (modfile_parse(text, len, &info, &err) == 0 && modfile_name_after_file(&info, path) == 0) {
        dump_info(&info);
        modfile_info_free(&info);
    } else {
        printf(",\"ok\":false,\"line\":%d,\"message\":", err.line);
        put_json_string(err.message);
    }
    fputs("}\n", stdout);
    free(text);
    return 0;
}

/* As the build does: nocmodl ran on the copy, the user is shown their file. */
static int dump_diag(const char *output_path, const char *mod_path)
{
    size_t len;
    char *output = slurp(output_path, &len);
    struct diag d = {0};

    if (!output)
        return 1;
    diag_nocmodl(&d, output, mod_path, mod_path);
    fputs("{\"file\":", stdout);
    put_json_string(mod_path);
    printf(",\"line\":%d,\"summary\":", d.line);
    put_json_string(d.summary);
    fputs("}\n", stdout);
    diag_free(&d);
    free(output);
    return 0;
}

/* As build_prep does for a plain mod. */
static int dump_renamed(const char *name, const char *mod_path)
{
    struct modfile_info info;
    struct modfile_error err;
    size_t len, outlen;
    char *text = slurp(mod_path, &len), *renamed;

    if (!text || modfile_parse(text, len, &info, &err) < 0) {
        free(text);
        return 1;
    }
    if (info.named_by_file)
        fwrite(text, 1, len, stdout);
    else {
        renamed = cache_rename(text, len, info.name_offset, info.name_length, name, &outlen);
        fwrite(renamed, 1, outlen, stdout);
        free(renamed);
    }
    modfile_info_free(&info);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;

    if (argc == 4 && strcmp(argv[1], "--diag") == 0)
        return dump_diag(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "--rename") == 0)
        return dump_renamed(argv[2], argv[3]);
    if (argc < 2) {
        fputs("usage: modfile_dump FILE.mod... | modfile_dump --diag OUTPUT FILE.mod | "
              "modfile_dump --rename NAME FILE.mod\n",
              stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        rc |= dump_file(argv[i]);
    return rc;
}
