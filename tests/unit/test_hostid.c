/*
 * Unit tests for hostid's names: a work dir or lease names its gliad by
 * host id and pid, and a start judges only its own host's.
 */
#include "hostid.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

static void parses_host_id_and_pid(void **state)
{
    size_t idlen;
    long pid;
    (void)state;
    const char *name = "node7.cluster.example.0123456789ab-4242";
    assert_int_equal(hostid_parse(name, &idlen, &pid), 0);
    assert_int_equal(pid, 4242);
    assert_int_equal(idlen, strlen("node7.cluster.example.0123456789ab"));
    /* A hostname with dashes: the pid is after the last one. */
    assert_int_equal(hostid_parse("login-01.abcdef012345-1", &idlen, &pid), 0);
    assert_int_equal(pid, 1);
    assert_int_equal(idlen, strlen("login-01.abcdef012345"));
}

static void refuses_what_is_no_such_name(void **state)
{
    size_t idlen;
    long pid;
    (void)state;
    assert_int_equal(hostid_parse("4242", &idlen, &pid), -1); /* a bare pid (older gliads) */
    assert_int_equal(hostid_parse("c1-0123456789abcdef", &idlen, &pid), -1); /* no host id */
    assert_int_equal(hostid_parse("host.0123-", &idlen, &pid), -1);
    assert_int_equal(hostid_parse("host.0123-x1", &idlen, &pid), -1);
    assert_int_equal(hostid_parse("host.0123-0", &idlen, &pid), -1);
    assert_int_equal(hostid_parse("-12", &idlen, &pid), -1);
    assert_int_equal(hostid_parse("host.0123-12.tmp", &idlen, &pid), -1); /* a lease's temp */
}

static void host_part_is_before_the_boot_id(void **state)
{
    (void)state;
    assert_int_equal(hostid_host_len("node7.cluster.0123456789ab"), strlen("node7.cluster"));
    assert_int_equal(hostid_host_len("plain"), strlen("plain"));
}

static void own_id_is_stable_and_well_formed(void **state)
{
    (void)state;
    const char *id = hostid();
    assert_ptr_equal(id, hostid());
    assert_non_null(strchr(id, '.'));
    for (const char *c = id; *c; c++)
        assert_true((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_host_id_and_pid),
        cmocka_unit_test(refuses_what_is_no_such_name),
        cmocka_unit_test(host_part_is_before_the_boot_id),
        cmocka_unit_test(own_id_is_stable_and_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
