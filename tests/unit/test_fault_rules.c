/*
 * What makes a failed tool run the environment's fault rather than the
 * mod's: its exit, its words and the state of its filesystem, on plain data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <cmocka.h>

#include "fault_rules.h"

#include <stdlib.h>

static void a_signal_or_a_shell_status_is_outside(void **state)
{
    (void)state;
    char buf[160];
    assert_non_null(fault_of_exit(0, SIGKILL, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "killed by signal 9"));
    assert_non_null(fault_of_exit(127, 0, buf, sizeof(buf))); /* not found */
    assert_non_null(fault_of_exit(137, 0, buf, sizeof(buf))); /* a child SIGKILLed */
}

static void a_compile_error_status_is_the_tools_verdict(void **state)
{
    (void)state;
    char buf[160];
    assert_null(fault_of_exit(1, 0, buf, sizeof(buf))); /* gcc, nocmodl: errors */
    assert_null(fault_of_exit(4, 0, buf, sizeof(buf))); /* gcc: internal error */
    /* A tool that crashes on an input crashes on it every time. */
    assert_null(fault_of_exit(0, SIGSEGV, buf, sizeof(buf)));
    assert_null(fault_of_exit(0, SIGABRT, buf, sizeof(buf)));
    assert_null(fault_of_exit(128 + SIGSEGV, 0, buf, sizeof(buf)));
}

static void words_of_the_machine_are_recognised(void **state)
{
    (void)state;
    assert_string_equal(fault_in_output("x.c:1: fatal error: error writing to /tmp/ccX.s: "
                                        "No space left on device\n"),
                        "No space left on device");
    assert_string_equal(fault_in_output("cc: fatal error: Killed signal terminated program cc1"),
                        "Killed signal terminated program");
    assert_non_null(fault_in_output("Fatal error: can't write x.o: Read-only file system"));
}

static void words_about_the_input_are_not(void **state)
{
    (void)state;
    /* A missing include is the mod's error; so is any ordinary one. */
    assert_null(fault_in_output("x.c:3:10: fatal error: foo.h: No such file or directory"));
    assert_null(fault_in_output("x.c:9: error: 'g' undeclared (first use in this function)"));
    assert_null(fault_in_output(""));
    assert_null(fault_in_output(NULL));
}

static void a_mod_cannot_pass_its_error_off_as_the_machines(void **state)
{
    (void)state;
    /* Its own text, quoted back by the compiler. */
    assert_null(fault_in_output("x.c:12:5: error: 'y' undeclared\n"
                                "   12 |     y = 1; /* No space left on device */\n"
                                "      |     ^\n"));
    assert_null(fault_in_output("x.c:3:2: error: #error fatal error: Killed signal terminated "
                                "program cc1\n"));
    /* The tool's own line still counts after a quoted one. */
    assert_non_null(fault_in_output("   1 | No space left on device\n"
                                    "as: can't write x.o: No space left on device\n"));
}

static void expect_fs(const struct fault_fs *fs, const char *why)
{
    char *got = fault_of_fs("/cache/work", fs);
    if (!why) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, why);
    free(got);
}

/* A compile needs room for its temporary files and an inode for each: a
 * filesystem without them fails every mod alike, none of them its fault. */
static void a_filesystem_without_room_is_at_fault(void **state)
{
    (void)state;
    struct fault_fs ok = {.avail = 10ll << 30, .files = 1000, .files_avail = 500};
    expect_fs(&ok, NULL);
    struct fault_fs fs = ok;
    fs.read_only = 1;
    expect_fs(&fs, "the filesystem of /cache/work is read-only");
    fs = ok;
    fs.avail = FAULT_MIN_FREE_BYTES - 1;
    expect_fs(&fs, "the filesystem of /cache/work is nearly full (16383 KiB free)");
    fs.avail = FAULT_MIN_FREE_BYTES; /* just enough */
    expect_fs(&fs, NULL);
    fs = ok;
    fs.files_avail = 0;
    expect_fs(&fs, "the filesystem of /cache/work has no free inodes");
    fs.files = 0; /* btrfs and others count no inodes: never out of them */
    expect_fs(&fs, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signal_or_a_shell_status_is_outside),
        cmocka_unit_test(a_compile_error_status_is_the_tools_verdict),
        cmocka_unit_test(words_of_the_machine_are_recognised),
        cmocka_unit_test(words_about_the_input_are_not),
        cmocka_unit_test(a_mod_cannot_pass_its_error_off_as_the_machines),
        cmocka_unit_test(a_filesystem_without_room_is_at_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
