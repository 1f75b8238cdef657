/*
 * nrnmake: the include dirs of NEURON's MPI, from nrnmech_makefile's text
 * (Debian's NEURON 8.2, kept in tests/data/toolchain/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nrnmake.h"
#include "os.h"
#include "util.h"

static void debians_makefile_names_openmpis_dirs(void **state)
{
    (void)state;
    char *text = file_read(TEST_DATA_DIR "/toolchain/nrnmech_makefile", 1u << 16, NULL);
    assert_non_null(text);
    size_t n;
    char **dirs = nrnmake_include_dirs(text, &n);
    assert_int_equal(n, 2);
    assert_string_equal(dirs[0], "/usr/lib/x86_64-linux-gnu/openmpi/include");
    assert_string_equal(dirs[1], "/usr/lib/x86_64-linux-gnu/openmpi/include/openmpi");
    strv_free(dirs, n);
    free(text);
}

/* A NEURON built without MPI has no such line, or one with nothing in it. */
static void no_mpi_no_dirs(void **state)
{
    (void)state;
    size_t n = 7;
    char **dirs = nrnmake_include_dirs("INCLUDES = -I. $(INCFLAGS) -I$(incdir)\n", &n);
    assert_int_equal(n, 0);
    assert_null(dirs);
    dirs = nrnmake_include_dirs("  INCLUDES += $(if , -I$(subst ;, -I,),)\n", &n);
    assert_int_equal(n, 0);
    dirs = nrnmake_include_dirs("", &n);
    assert_int_equal(n, 0);
    dirs = nrnmake_include_dirs("INCLUDES += $(if /a;/b\n", &n); /* no comma: no list */
    assert_int_equal(n, 0);
}

/* Make reads "INCLUDES+=" and a tab-indented line the same. */
static void every_includes_line_counts_however_spaced(void **state)
{
    (void)state;
    size_t n;
    char **dirs = nrnmake_include_dirs("INCLUDES+=$(if /mpi/a, -I$(subst ;, -I,/mpi/a),)\n"
                                       "\tINCLUDES  += $(if /mpi/b;;/mpi/c, x,)\n"
                                       "CFLAGS += $(if /not/this, x,)\n"
                                       "INCLUDESX += $(if /nor/this, x,)",
                                       &n);
    assert_int_equal(n, 3);
    assert_string_equal(dirs[0], "/mpi/a");
    assert_string_equal(dirs[1], "/mpi/b");
    assert_string_equal(dirs[2], "/mpi/c");
    strv_free(dirs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(debians_makefile_names_openmpis_dirs),
        cmocka_unit_test(no_mpi_no_dirs),
        cmocka_unit_test(every_includes_line_counts_however_spaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
