/* The wire: arbitrary bytes fed to the streaming reader in pieces whose
 * sizes the input also chooses, every whole message decoded and its params
 * read the way methods read them. Nothing may crash; a broken stream ends
 * the input as it ends a connection. */
#include "proto.h"
#include "fuzz.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>

static void read_params(struct proto_msg *m)
{
    struct proto_args a;
    proto_args_init(&a, m);
    size_t n;
    (void)proto_args_str(&a, "asset", 0);
    (void)proto_args_str(&a, "env", 1);
    (void)proto_args_int(&a, "timeout", -1);
    (void)proto_args_bool(&a, "sync", 0);
    const char **v = proto_args_strv(&a, "topics", &n);
    for (size_t i = 0; v && i < n; i++)
        assert(v[i]);
    (void)proto_args_map(&a, "prefs");
    assert(proto_args_ok(&a) || a.err[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* The first byte picks the piece size: 1..256 bytes per read. */
    size_t piece = (size_t)data[0] + 1;
    data++, size--;
    struct proto_reader r;
    proto_reader_init(&r);
    int broken = 0;
    for (size_t off = 0; off < size && !broken; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        if (proto_reader_feed(&r, data + off, n) < 0)
            break;
        const char *msg, *why;
        size_t len;
        int rc;
        while ((rc = proto_reader_next(&r, &msg, &len, &why)) > 0) {
            struct proto_msg m;
            char reason[160];
            int has_id;
            if (proto_msg_decode(msg, len, &m, reason, sizeof(reason), &has_id) == 0)
                read_params(&m);
            else
                assert(reason[0]);
            proto_msg_free(&m);
        }
        if (rc < 0) {
            assert(why && *why);
            broken = 1;
        }
    }
    proto_reader_free(&r);
    return 0;
}
