/*
 * Unit tests for params: a request's `prefs` decoded into plain scopes, and
 * every malformed shape refused with words that say which part is wrong.
 * The input is packed with msgpack-c and unpacked as gliad unpacks it.
 */
#include "params.h"
#include "proto.h"
#include "scopes.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#define countof(a) (sizeof(a) / sizeof((a)[0]))

/* One packed value and what it unpacks to. */
struct input {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked u;
};

static msgpack_packer *begin(struct input *in)
{
    msgpack_sbuffer_init(&in->sb);
    msgpack_packer_init(&in->pk, &in->sb, msgpack_sbuffer_write);
    msgpack_unpacked_init(&in->u);
    return &in->pk;
}

static const msgpack_object *unpacked(struct input *in)
{
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&in->u, in->sb.data, in->sb.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    return &in->u.data;
}

static void end(struct input *in)
{
    msgpack_unpacked_destroy(&in->u);
    msgpack_sbuffer_destroy(&in->sb);
}

static int decode(struct input *in, struct resolve_scope **v, char *err, size_t errlen)
{
    const msgpack_object *o = unpacked(in); /* makes the zone */
    return params_scopes(o, in->u.zone, v, err, errlen);
}

static void absent_is_no_scopes(void **state)
{
    (void)state;
    struct resolve_scope *v = (void *)1;
    char err[200];
    assert_int_equal(params_scopes(NULL, NULL, &v, err, sizeof(err)), 0);
    assert_null(v);
}

/* [{name: "ctx", pkg: "rival", variant: nil, assets: {HHna: {variant:
 * "fast"}, Kv1: {pkg: "dbbs", other: 1}}, more: 1}, {name: 7}, {}] */
static void scopes_decode_to_plain_structs(void **state)
{
    (void)state;
    struct input in;
    msgpack_packer *pk = begin(&in);
    msgpack_pack_array(pk, 3);
    msgpack_pack_map(pk, 5);
    proto_pack_kstr(pk, "name", "ctx");
    proto_pack_kstr(pk, "pkg", "rival");
    proto_pack_kstr(pk, "variant", NULL);
    proto_pack_key(pk, "assets");
    msgpack_pack_map(pk, 2);
    proto_pack_key(pk, "HHna");
    msgpack_pack_map(pk, 1);
    proto_pack_kstr(pk, "variant", "fast");
    proto_pack_key(pk, "Kv1");
    msgpack_pack_map(pk, 2);
    proto_pack_kstr(pk, "pkg", "dbbs");
    proto_pack_kint(pk, "other", 1);
    proto_pack_kint(pk, "more", 1);
    msgpack_pack_map(pk, 1);
    proto_pack_kint(pk, "name", 7);
    msgpack_pack_map(pk, 0);

    struct resolve_scope *v;
    char err[200] = "";
    assert_int_equal(decode(&in, &v, err, sizeof(err)), 3);
    assert_string_equal(v[0].name, "ctx");
    assert_string_equal(v[0].general.pkg, "rival");
    assert_null(v[0].general.variant);
    assert_int_equal(v[0].nassets, 2);
    assert_string_equal(v[0].assets[0].asset, "HHna");
    assert_null(v[0].assets[0].pref.pkg);
    assert_string_equal(v[0].assets[0].pref.variant, "fast");
    assert_string_equal(v[0].assets[1].asset, "Kv1");
    assert_string_equal(v[0].assets[1].pref.pkg, "dbbs");
    assert_null(v[1].name); /* not a string: unnamed, named by scopes_build */
    assert_int_equal(v[1].nassets, 0);
    assert_null(v[2].general.pkg);
    end(&in);
}

/* {assets: {"HHna\0x": {pkg: "rival"}, HHna: {pkg: "demo"}}, assets: {Na:
 * {}}}: a name with a NUL byte names no asset; a second `assets` adds to
 * the first. */
static void asset_entries_of_a_scope(void **state)
{
    (void)state;
    struct input in;
    msgpack_packer *pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    proto_pack_key(pk, "assets");
    msgpack_pack_map(pk, 2);
    proto_pack_strn(pk, "HHna\0x", 6);
    msgpack_pack_map(pk, 1);
    proto_pack_kstr(pk, "pkg", "rival");
    proto_pack_key(pk, "HHna");
    msgpack_pack_map(pk, 1);
    proto_pack_kstr(pk, "pkg", "demo");
    proto_pack_key(pk, "assets");
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "Na");
    msgpack_pack_map(pk, 0);

    struct resolve_scope *v;
    char err[200] = "";
    assert_int_equal(decode(&in, &v, err, sizeof(err)), 1);
    assert_int_equal(v[0].nassets, 2);
    assert_string_equal(v[0].assets[0].asset, "HHna");
    assert_string_equal(v[0].assets[0].pref.pkg, "demo");
    assert_string_equal(v[0].assets[1].asset, "Na");
    end(&in);
}

static void pack_scope_with(msgpack_packer *pk, const char *key, const char *val)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_kstr(pk, key, val);
}

static void pack_asset_pref_with(msgpack_packer *pk, const char *key, int64_t val)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "assets");
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "HHna");
    msgpack_pack_map(pk, 1);
    proto_pack_kint(pk, key, val);
}

static void expect_refused(struct input *in, const char *words)
{
    struct resolve_scope *v;
    char err[200] = "";
    assert_int_equal(decode(in, &v, err, sizeof(err)), -1);
    if (!strstr(err, words))
        fail_msg("'%s' does not say '%s'", err, words);
    end(in);
}

static void malformed_scopes_are_refused(void **state)
{
    (void)state;
    struct input in;
    proto_pack_str(begin(&in), "rival");
    expect_refused(&in, "prefs must be an array of scopes");

    msgpack_packer *pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_int(pk, 5);
    expect_refused(&in, "a preference scope must be a map");

    pk = begin(&in);
    msgpack_pack_array(pk, SCOPES_MAX_CLIENT + 1);
    for (int i = 0; i <= SCOPES_MAX_CLIENT; i++)
        msgpack_pack_map(pk, 0);
    expect_refused(&in, "at most 64 scopes");

    pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_kint(pk, "pkg", 5);
    expect_refused(&in, "pkg must be a string");

    pack_scope_with(begin(&in), "variant", NULL);
    struct resolve_scope *v;
    char err[200];
    assert_int_equal(decode(&in, &v, err, sizeof(err)), 1); /* nil: unset */
    end(&in);

    pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "pkg");
    proto_pack_strn(pk, "rival\0zz", 8);
    expect_refused(&in, "without NUL bytes");

    pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "assets");
    msgpack_pack_array(pk, 0);
    expect_refused(&in, "assets must be a map");

    pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_key(pk, "assets");
    msgpack_pack_map(pk, 1);
    msgpack_pack_int(pk, 1);
    msgpack_pack_map(pk, 0);
    expect_refused(&in, "asset names in a scope must be strings");

    pk = begin(&in);
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 1);
    proto_pack_kstr(pk, "assets", NULL); /* nil: none */
    assert_int_equal(decode(&in, &v, err, sizeof(err)), 1);
    end(&in);

    pack_asset_pref_with(begin(&in), "pkg", 1);
    expect_refused(&in, "an asset preference: pkg must be a string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_is_no_scopes),
        cmocka_unit_test(scopes_decode_to_plain_structs),
        cmocka_unit_test(asset_entries_of_a_scope),
        cmocka_unit_test(malformed_scopes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
