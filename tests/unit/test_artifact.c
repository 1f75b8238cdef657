/*
 * The object check before reuse (artifact_elf_check): a whole relocatable
 * object naming the registration function passes; garbage, an object cut
 * short, or one without the symbol do not. On a real object the build
 * compiled (elf_fixture.c), read once; everything else is plain data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "artifact.h"
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
    assert_int_equal(artifact_elf_check(buf, len, "_glia__fixture__Reg__0", why, sizeof(why)),
                     -1);
    assert_non_null(strstr(why, "does not define _glia__fixture__Reg__0"));
    assert_int_equal(artifact_elf_check(buf, len, "glia__fixture__Reg__0_reg", why,
                                        sizeof(why)),
                     -1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_whole_object_passes),
        cmocka_unit_test(garbage_fails),
        cmocka_unit_test(every_cut_fails),
        cmocka_unit_test(another_symbol_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
