/*
 * Reading ldd and nm output: the package link's undefined-symbol check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "symtab.h"
#include "util.h"

static void ldd_paths_are_the_resolved_libraries(void **state)
{
    (void)state;
    const char *out = "\tlinux-vdso.so.1 (0x00007f88225ad000)\n"
                      "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f8821c9f000)\n"
                      "\tlibgone.so.1 => not found\n"
                      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f88225af000)\n";
    size_t n;
    char **v = symtab_ldd_paths(out, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "/lib/x86_64-linux-gnu/libm.so.6");
    assert_string_equal(v[1], "/lib64/ld-linux-x86-64.so.2");
    strv_free(v, n);
}

struct seen {
    char buf[512];
};

static void collect(void *ud, const char *file, const char *name, char type)
{
    struct seen *s = ud;
    size_t len = strlen(s->buf);
    snprintf(s->buf + len, sizeof(s->buf) - len, "%s|%s|%c;", file, name, type);
}

static void nm_lines_give_file_name_and_type(void **state)
{
    (void)state;
    const char *out = "pkg.o: _GLOBAL_OFFSET_TABLE_ U         \n"
                      "/c/objects/ab/x.o: f_defined_nowhere U         \n"
                      "/usr/lib/libm.so.6: exp@@GLIBC_2.29 T 2def80 c7\n"
                      "/usr/lib/libm.so.6: GLIBC_2.15 A 0 \n"
                      "x.o: __gmon_start__ w         \n"
                      "garbage without a separator\n";
    struct seen s = {""};
    symtab_each(out, collect, &s);
    assert_string_equal(s.buf, "pkg.o|_GLOBAL_OFFSET_TABLE_|U;"
                               "/c/objects/ab/x.o|f_defined_nowhere|U;"
                               "/usr/lib/libm.so.6|exp|T;/usr/lib/libm.so.6|GLIBC_2.15|A;"
                               "x.o|__gmon_start__|w;");
}

static void linker_symbols_are_nobodys_fault(void **state)
{
    (void)state;
    assert_true(symtab_linker_provided("_GLOBAL_OFFSET_TABLE_"));
    assert_false(symtab_linker_provided("f_defined_nowhere"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ldd_paths_are_the_resolved_libraries),
        cmocka_unit_test(nm_lines_give_file_name_and_type),
        cmocka_unit_test(linker_symbols_are_nobodys_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
