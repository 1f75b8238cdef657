/*
 * proto: the wire format shared by gliad and its clients.
 *
 * msgpack-RPC over a Unix stream socket, as Neovim speaks it:
 *   request       [0, msgid, method, [params]]
 *   response      [1, msgid, error | nil, result | nil]
 *   notification  [2, method, [params]]
 * params is an array of at most one element, a map (or nil). Errors are maps
 * {code, message, ...}; the codes are stable and listed in PROTOCOL.md.
 *
 * The stream side (proto_reader) finds message boundaries itself, before any
 * decoding, so that a message over the size limit or nested too deep is
 * refused on its header alone, without buffering or recursing into it.
 */
#ifndef GLIA_PROTO_H
#define GLIA_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#define PROTO_MAX_MESSAGE (1u << 20) /* bytes in one request */
#define PROTO_MAX_REPLY (64u << 20)  /* bytes in one reply a client takes */
#define PROTO_MAX_DEPTH 32           /* nesting of arrays and maps */

enum proto_type {
    PROTO_REQUEST = 0,
    PROTO_RESPONSE = 1,
    PROTO_NOTIFICATION = 2,
};

/* Stable error codes, on the wire as these strings. */
#define PROTO_E_BAD_REQUEST "bad_request"
#define PROTO_E_UNKNOWN_METHOD "unknown_method"
#define PROTO_E_UNKNOWN_ASSET "unknown_asset"
#define PROTO_E_NO_MATCH "no_match"
#define PROTO_E_AMBIGUOUS "ambiguous"
#define PROTO_E_UNKNOWN_PACKAGE "unknown_package"
#define PROTO_E_UNKNOWN_ENV "unknown_env"
#define PROTO_E_ENV_OVERLAP "env_overlap"
#define PROTO_E_BUILD_FAILED "build_failed"
#define PROTO_E_NOT_BUILT "not_built"
#define PROTO_E_TOO_LARGE "too_large"
#define PROTO_E_SHUTTING_DOWN "shutting_down"
#define PROTO_E_BUSY "busy"
#define PROTO_E_INTERNAL "internal"

/* ---- Framing ---------------------------------------------------------- */

/* Resumable scan of the message at the head of a buffer: how far it has been
 * walked and how many items each open container still expects. */
struct proto_scan {
    size_t pos;
    uint32_t depth;
    uint32_t left[PROTO_MAX_DEPTH + 1];
};

/* Accumulates bytes from a stream and hands out whole messages. */
struct proto_reader {
    char *buf;
    size_t start; /* first byte not yet handed out */
    size_t len;   /* bytes held */
    size_t cap;
    size_t max; /* largest message taken: PROTO_MAX_MESSAGE unless raised */
    struct proto_scan scan;
};

void proto_reader_init(struct proto_reader *r);
void proto_reader_free(struct proto_reader *r);

/* Space for the next read: at least `want` bytes at *base. Returns 0, or -1
 * when out of memory. */
int proto_reader_space(struct proto_reader *r, size_t want, char **base, size_t *len);

/* Records that n bytes were read into the space given by proto_reader_space. */
void proto_reader_commit(struct proto_reader *r, size_t n);

/* Appends bytes (for callers that read elsewhere). Returns 0 or -1. */
int proto_reader_feed(struct proto_reader *r, const void *data, size_t n);

/*
 * Next whole message: 1 with msg and len set (valid until the next call on r),
 * 0 when more bytes are needed, -1 when the stream is broken beyond repair
 * (*why says how; the connection should be answered once and closed).
 */
int proto_reader_next(struct proto_reader *r, const char **msg, size_t *len, const char **why);

/* True when bytes of an unfinished message are held. */
int proto_reader_partial(const struct proto_reader *r);

/* ---- Decoding --------------------------------------------------------- */

struct proto_msg {
    enum proto_type type;
    uint32_t msgid;               /* request, response */
    const char *method;           /* request, notification; NUL-terminated, in the zone */
    const msgpack_object *params; /* the params map, or NULL when absent/nil */
    const msgpack_object *error;  /* response */
    const msgpack_object *result; /* response */
    msgpack_unpacked unpacked;    /* owns everything above, with frame */
    char *frame;                  /* a copy of the message: unpacked strings point into it */
};

/*
 * Decodes one framed message. Returns 0, or -1 with a message in why (a
 * person-readable reason the message's shape is wrong). On -1 *has_id says
 * whether m->msgid is known, so the peer can still be answered. Always free
 * with proto_msg_free.
 */
int proto_msg_decode(const char *data, size_t len, struct proto_msg *m, char *why, size_t whylen,
                     int *has_id);
void proto_msg_free(struct proto_msg *m);

/* ---- Reading params --------------------------------------------------- */

/*
 * Typed access to a params map. Every getter takes the key, returns the value
 * or a fallback, and on a type error remembers the first problem so a method
 * reads all its arguments and checks proto_args_ok() once. Strings are copied
 * NUL-terminated into the message's zone: they live as long as the message.
 */
struct proto_args {
    const msgpack_object *map; /* may be NULL: every key is then absent */
    msgpack_zone *zone;
    char err[200];
};

void proto_args_init(struct proto_args *a, struct proto_msg *m);
const msgpack_object *proto_args_get(const struct proto_args *a, const char *key);
/* NULL when absent or nil; an error unless a string. required: absent is an error too. */
const char *proto_args_str(struct proto_args *a, const char *key, int required);
int64_t proto_args_int(struct proto_args *a, const char *key, int64_t fallback);
int proto_args_bool(struct proto_args *a, const char *key, int fallback);
/* An array of strings as a NULL-terminated vector in the zone; NULL when absent. */
const char **proto_args_strv(struct proto_args *a, const char *key, size_t *n);
/* A map (or NULL when absent/nil). */
const msgpack_object *proto_args_map(struct proto_args *a, const char *key);
/* Records a problem found by the method itself (first one wins). */
void proto_args_fail(struct proto_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int proto_args_ok(const struct proto_args *a);

/* Copies a msgpack string into the zone, NUL-terminated; NULL if not a string. */
const char *proto_zone_str(msgpack_zone *zone, const msgpack_object *o);
/* Compares a msgpack string with a C string. */
int proto_str_eq(const msgpack_object *o, const char *s);
/* A string that a C string would cut short: "status\0x" is not "status". */
int proto_str_has_nul(const msgpack_object *str);

/* ---- Encoding --------------------------------------------------------- */

/*
 * Maps and arrays that count themselves (defer.c): open returns where the
 * container starts; pack its elements (a map: key, value, key, value...),
 * then close with that mark, innermost first. The count written is the
 * number of elements packed in between, whatever packed them. pk must pack
 * into a msgpack_sbuffer (msgpack_packer_init(pk, &sbuf,
 * msgpack_sbuffer_write)), and nothing may take bytes out of that buffer
 * between open and close.
 */
size_t proto_map_open(msgpack_packer *pk);
void proto_map_close(msgpack_packer *pk, size_t mark);
size_t proto_array_open(msgpack_packer *pk);
void proto_array_close(msgpack_packer *pk, size_t mark);

void proto_pack_str(msgpack_packer *pk, const char *s); /* NULL packs nil */
void proto_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void proto_pack_kstr(msgpack_packer *pk, const char *key, const char *val);
void proto_pack_kint(msgpack_packer *pk, const char *key, int64_t val);
void proto_pack_kbool(msgpack_packer *pk, const char *key, int val);
void proto_pack_kdouble(msgpack_packer *pk, const char *key, double val);
void proto_pack_key(msgpack_packer *pk, const char *key);

/* [0, msgid, method, [ then the caller packs one params map (or nothing:
 * pass with_params 0) ]]. */
void proto_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method, int with_params);
/* [2, method, [ params map follows ]]. */
void proto_pack_notification(msgpack_packer *pk, const char *method);
/* [1, msgid, nil, then the caller packs the result. */
void proto_pack_result_header(msgpack_packer *pk, uint32_t msgid);
/* [1, msgid, {code, message, then any more key/value pairs the caller
 * packs, and finally proto_pack_error_end with the mark begin returned. */
size_t proto_pack_error_begin(msgpack_packer *pk, uint32_t msgid, const char *code,
                              const char *message);
void proto_pack_error_end(msgpack_packer *pk, size_t mark);
/* A whole error response with no extra fields. */
void proto_pack_error(msgpack_packer *pk, uint32_t msgid, const char *code, const char *message);
/* [2, "error", [{code, message}]]: gliad's last word on a connection it
 * ends (a stream it cannot follow, or no room for another client). */
void proto_pack_error_note(msgpack_packer *pk, const char *code, const char *message);

#endif
