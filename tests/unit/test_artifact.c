/*
 * The object check before reuse (artifact_elf_check): a whole relocatable
 * object naming the registration function passes; garbage, an object cut
 * short, or one without the symbol do not. On a real object the build
 * compiled (elf_fixture.c), read once; everything else is plain data. And
 * a library's seal: none is not damage, a mismatch is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "artifact.h"
#include "os.h"
#include "util.h"

#define REG "_glia__fixture__Reg__0_reg"

static unsigned char *object(size_t *len)
{
    unsigned char *buf = (unsigned char *)file_read(ELF_FIXTURE, 1u << 20, len);
    assert_non_null(buf);
    return buf;
}

static void a_whole_object_passes(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = object(&len);
    char why[256];
    assert_int_equal(artifact_elf_check(buf, len, REG, why, sizeof(why)), 0);
    free(buf);
}

static void garbage_fails(void **state)
{
    (void)state;
    unsigned char junk[4096];
    memset(junk, 'x', sizeof(junk));
    char why[256];
    assert_int_equal(artifact_elf_check(junk, sizeof(junk), REG, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not an ELF file"));
    assert_int_equal(artifact_elf_check(junk, 0, REG, why, sizeof(why)), -1);
}

static void every_cut_fails(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = object(&len);
    char why[256];
    for (size_t cut = 0; cut < len; cut += 7)
        assert_int_equal(artifact_elf_check(buf, cut, REG, why, sizeof(why)), -1);
    free(buf);
}

static void another_symbol_fails(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = object(&len);
    char why[256];
    /* A prefix of the name, or a longer name, is not the name. */
    assert_int_equal(artifact_elf_check(buf, len, "_glia__fixture__Reg__0", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "does not define _glia__fixture__Reg__0"));
    assert_int_equal(artifact_elf_check(buf, len, "glia__fixture__Reg__0_reg", why, sizeof(why)),
                     -1);
    free(buf);
}

/* A library with no seal was published by an older gliad: not damaged.
 * One with a seal is checked against it. (Files in a temp dir.) */
static void an_unsealed_file_is_not_damaged(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_artifact-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *lib = xprintf("%s/libglia.so", dir), *seal = xprintf("%s.sha256", lib);
    FILE *f = fopen(lib, "w");
    assert_non_null(f);
    fputs("a library", f);
    fclose(f);
    char why[256];
    assert_int_equal(artifact_check(lib, why, sizeof(why)), ARTIFACT_UNSEALED);
    assert_int_equal(artifact_seal(lib), 0);
    assert_int_equal(artifact_check(lib, why, sizeof(why)), 0);
    f = fopen(lib, "a");
    fputs("!", f);
    fclose(f);
    assert_int_equal(artifact_check(lib, why, sizeof(why)), -1);
    unlink(seal), unlink(lib), rmdir(dir);
    free(seal);
    free(lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_whole_object_passes),
        cmocka_unit_test(garbage_fails),
        cmocka_unit_test(every_cut_fails),
        cmocka_unit_test(another_symbol_fails),
        cmocka_unit_test(an_unsealed_file_is_not_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
