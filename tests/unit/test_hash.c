/*
 * hash: SHA-256 over length-prefixed fields, so that cache keys cannot be
 * forged by moving bytes from one field to the next. The expected digests
 * were computed apart, with Python's hashlib over the same framing
 * (each field as its length, 8 bytes big-endian, then its bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

static void hex_of(const char *domain, const char *a, const char *b, char out[HASH_HEX_LEN + 1])
{
    struct hash h;
    hash_init(&h, domain);
    hash_str(&h, a);
    if (b)
        hash_str(&h, b);
    hash_hex(&h, out);
}

static void digests_are_sha256_of_the_framed_fields(void **state)
{
    (void)state;
    char hex[HASH_HEX_LEN + 1];
    hex_of("glia-test", "abc", NULL, hex);
    assert_string_equal(hex, "eab19dccd771f4d37a41501041c389b4d27b36e2783414574833b49290fed546");

    struct hash h;
    hash_init(&h, "glia-test");
    hash_field(&h, "a\0b", 3); /* bytes, NULs included */
    hash_hex(&h, hex);
    assert_string_equal(hex, "e33b2b748982441440c2c93274c298bbc6ea421661403a4b0b03805deab842ec");

    hash_init(&h, "glia-test");
    hash_str(&h, NULL);
    hash_hex(&h, hex);
    assert_string_equal(hex, "445b62777ca15880af52dff6955bf719698ea1ae5424fc3c4098b85e83a922a8");
    assert_int_equal(strlen(hex), HASH_HEX_LEN);
}

/* ("ab", "c") and ("a", "bc") are the same bytes in another order of
 * fields: a mod's name and its text must never trade bytes into one key. */
static void moving_bytes_between_fields_changes_the_key(void **state)
{
    (void)state;
    char x[HASH_HEX_LEN + 1], y[HASH_HEX_LEN + 1];
    hex_of("d", "ab", "c", x);
    hex_of("d", "a", "bc", y);
    assert_string_not_equal(x, y);
}

static void null_and_empty_differ(void **state)
{
    (void)state;
    char x[HASH_HEX_LEN + 1], y[HASH_HEX_LEN + 1];
    hex_of("d", NULL, NULL, x);
    hex_of("d", "", NULL, y);
    assert_string_not_equal(x, y);
}

/* Keys of different kinds (an object, a library) never meet. */
static void the_domain_separates_kinds_of_key(void **state)
{
    (void)state;
    char x[HASH_HEX_LEN + 1], y[HASH_HEX_LEN + 1], z[HASH_HEX_LEN + 1];
    hex_of("object", "Kv1.mod", NULL, x);
    hex_of("library", "Kv1.mod", NULL, y);
    hex_of("object", "Kv1.mod", NULL, z);
    assert_string_not_equal(x, y);
    assert_string_equal(x, z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digests_are_sha256_of_the_framed_fields),
        cmocka_unit_test(moving_bytes_between_fields_changes_the_key),
        cmocka_unit_test(null_and_empty_differ),
        cmocka_unit_test(the_domain_separates_kinds_of_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
