/*
 * The wire codec of the glia module: msgpack, for the subset gliad's
 * protocol uses (proto/PROTOCOL.md): nil, bool, int, float, str, bin, array
 * and map. The msgpack package does the same, but importing it costs a
 * script about 2.5 ms (half of it the datetime module its ext types need),
 * most of glia's whole import; this costs nothing beyond loading the
 * extension glia.insert's fast path already lives in.
 *
 * It encodes exactly as msgpack.packb(obj, use_bin_type=True,
 * unicode_errors="surrogateescape") does, byte for byte, and decodes as
 * msgpack.Unpacker(raw=False, unicode_errors="surrogateescape") does, with
 * one difference: ext types (msgpack's Timestamp, ExtType) are refused, as
 * nothing in the protocol sends them. Paths are the file system's bytes:
 * str is encoded and decoded with surrogateescape, as os.fsdecode does.
 *
 * The Unpacker takes a stream in pieces as recv returns them. Before it
 * builds a message's objects it checks the message is all there with a
 * scan that resumes where the last one stopped, so a reply of many MiB that
 * arrives in 64 KiB pieces is walked once, not once per piece; the decoder
 * then reads only bytes the scan vouched for.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_codec.h"

/* Deeper than any message of the protocol (gliad takes requests 32 deep),
 * and shallow enough that the recursive encoder and decoder stay far from
 * the C stack's end. */
#define CODEC_MAX_DEPTH 512

/* ---- encoding ---------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} codec_buf;

static int codec_reserve(codec_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    char *d = PyMem_Realloc(b->data, cap);
    if (!d) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

static int codec_put(codec_buf *b, const void *p, size_t n)
{
    if (codec_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* A type byte and a big-endian value of size bytes (0, 1, 2, 4 or 8). */
static int codec_put_head(codec_buf *b, unsigned char type, uint64_t v, int size)
{
    unsigned char h[9];
    h[0] = type;
    for (int i = 0; i < size; i++)
        h[1 + i] = (unsigned char)(v >> (8 * (size - 1 - i)));
    return codec_put(b, h, (size_t)size + 1);
}

/* The header of a str, bin, array or map of n items: the fix form when
 * there is one and n fits it, else the 8 (str, bin only), 16 or 32-bit one.
 * types = {fix base or 0, 8-bit, 16-bit, 32-bit}, fixmax its largest n. */
static int codec_put_len(codec_buf *b, const unsigned char types[4], size_t fixmax, size_t n,
                         const char *what)
{
    if (types[0] && n <= fixmax)
        return codec_put_head(b, (unsigned char)(types[0] | n), 0, 0);
    if (types[1] && n <= 0xff)
        return codec_put_head(b, types[1], n, 1);
    if (n <= 0xffff)
        return codec_put_head(b, types[2], n, 2);
    if (n <= 0xffffffffu)
        return codec_put_head(b, types[3], n, 4);
    PyErr_Format(PyExc_ValueError, "%s too large for msgpack (%zu items or bytes)", what, n);
    return -1;
}

static const unsigned char codec_str_types[4] = {0xa0, 0xd9, 0xda, 0xdb};
static const unsigned char codec_bin_types[4] = {0, 0xc4, 0xc5, 0xc6};
static const unsigned char codec_array_types[4] = {0x90, 0, 0xdc, 0xdd};
static const unsigned char codec_map_types[4] = {0x80, 0, 0xde, 0xdf};

/* The smallest form, as msgpack's packer chooses it. */
static int codec_pack_int(codec_buf *b, PyObject *obj)
{
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_SetString(PyExc_OverflowError, "Integer value out of range");
            return -1;
        }
        return codec_put_head(b, 0xcf, u, 8);
    }
    if (overflow < 0) {
        PyErr_SetString(PyExc_OverflowError, "Integer value out of range");
        return -1;
    }
    if (v >= 0) {
        if (v < 0x80)
            return codec_put_head(b, (unsigned char)v, 0, 0);
        if (v <= 0xff)
            return codec_put_head(b, 0xcc, (uint64_t)v, 1);
        if (v <= 0xffff)
            return codec_put_head(b, 0xcd, (uint64_t)v, 2);
        if (v <= 0xffffffffLL)
            return codec_put_head(b, 0xce, (uint64_t)v, 4);
        return codec_put_head(b, 0xcf, (uint64_t)v, 8);
    }
    if (v >= -32)
        return codec_put_head(b, (unsigned char)(int8_t)v, 0, 0);
    if (v >= INT8_MIN)
        return codec_put_head(b, 0xd0, (uint64_t)v, 1);
    if (v >= INT16_MIN)
        return codec_put_head(b, 0xd1, (uint64_t)v, 2);
    if (v >= INT32_MIN)
        return codec_put_head(b, 0xd2, (uint64_t)v, 4);
    return codec_put_head(b, 0xd3, (uint64_t)v, 8);
}

static int codec_pack_str(codec_buf *b, PyObject *obj)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
    PyObject *bytes = NULL;
    if (!s) {
        /* Lone surrogates: a path's undecodable bytes, sent back as they were. */
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
            return -1;
        PyErr_Clear();
        bytes = PyUnicode_AsEncodedString(obj, "utf-8", "surrogateescape");
        if (!bytes)
            return -1;
        s = PyBytes_AS_STRING(bytes);
        n = PyBytes_GET_SIZE(bytes);
    }
    int rc = codec_put_len(b, codec_str_types, 31, (size_t)n, "str");
    if (rc == 0)
        rc = codec_put(b, s, (size_t)n);
    Py_XDECREF(bytes);
    return rc;
}

static int codec_pack_bin(codec_buf *b, PyObject *obj)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0)
        return -1;
    int rc = codec_put_len(b, codec_bin_types, 0, (size_t)view.len, "bytes");
    if (rc == 0)
        rc = codec_put(b, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return rc;
}

static int codec_pack(codec_buf *b, PyObject *obj, int depth);

static int codec_pack_map(codec_buf *b, PyObject *obj, int depth)
{
    if (codec_put_len(b, codec_map_types, 15, (size_t)PyDict_GET_SIZE(obj), "dict") < 0)
        return -1;
    Py_ssize_t i = 0;
    PyObject *k, *v;
    while (PyDict_Next(obj, &i, &k, &v))
        if (codec_pack(b, k, depth + 1) < 0 || codec_pack(b, v, depth + 1) < 0)
            return -1;
    return 0;
}

static int codec_pack_array(codec_buf *b, PyObject *obj, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(obj);
    if (codec_put_len(b, codec_array_types, 15, (size_t)n, "list") < 0)
        return -1;
    PyObject **items = PySequence_Fast_ITEMS(obj);
    for (Py_ssize_t i = 0; i < n; i++)
        if (codec_pack(b, items[i], depth + 1) < 0)
            return -1;
    return 0;
}

static int codec_pack(codec_buf *b, PyObject *obj, int depth)
{
    if (depth > CODEC_MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "cannot pack: nested deeper than %d lists and dicts",
                     CODEC_MAX_DEPTH);
        return -1;
    }
    if (obj == Py_None)
        return codec_put_head(b, 0xc0, 0, 0);
    if (obj == Py_False || obj == Py_True)
        return codec_put_head(b, obj == Py_True ? 0xc3 : 0xc2, 0, 0);
    if (PyLong_Check(obj))
        return codec_pack_int(b, obj);
    if (PyFloat_Check(obj)) {
        double d = PyFloat_AS_DOUBLE(obj);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return codec_put_head(b, 0xcb, bits, 8);
    }
    if (PyUnicode_Check(obj))
        return codec_pack_str(b, obj);
    if (PyBytes_Check(obj) || PyByteArray_Check(obj) || PyMemoryView_Check(obj))
        return codec_pack_bin(b, obj);
    if (PyDict_Check(obj))
        return codec_pack_map(b, obj, depth);
    if (PyList_Check(obj) || PyTuple_Check(obj))
        return codec_pack_array(b, obj, depth);
    PyErr_Format(PyExc_TypeError, "can not serialize %.200s object for gliad",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static PyObject *codec_packb(PyObject *self, PyObject *obj)
{
    (void)self;
    codec_buf b = {0};
    PyObject *r = NULL;
    if (codec_pack(&b, obj, 0) == 0)
        r = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    PyMem_Free(b.data);
    return r;
}

/* ---- scanning: is a whole message there? -------------------------------- */

/* Where a scan stands: the offset of the next header to read, and for each
 * array or map it is inside, how many items are still to come (a map's
 * keys and values counted apart). */
typedef struct {
    size_t at;
    int depth;
    uint64_t left[CODEC_MAX_DEPTH];
} codec_scan;

enum { CODEC_MORE = 0, CODEC_DONE = 1, CODEC_ERROR = -1 };

static uint64_t codec_be(const unsigned char *p, int size)
{
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v = v << 8 | p[i];
    return v;
}

/* The header at p (avail bytes there, at least 1): its size, and either
 * the payload's size or (for an array or map) its item count. -1 for a byte
 * that starts nothing the protocol sends, with the error set. */
static int codec_head(const unsigned char *p, size_t at, int *head, uint64_t *payload,
                      uint64_t *items)
{
    unsigned t = p[0];
    *payload = 0;
    *items = 0;
    *head = 1;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 0;
    if ((t & 0xe0) == 0xa0) {
        *payload = t & 0x1f;
        return 0;
    }
    if ((t & 0xf0) == 0x90 || (t & 0xf0) == 0x80) {
        *items = (uint64_t)(t & 0x0f) * ((t & 0xf0) == 0x80 ? 2 : 1);
        return 0;
    }
    switch (t) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: /* uint 8..64 */
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: /* int 8..64 */
        *payload = 1u << (t & 3);
        return 0;
    case 0xca:
        *payload = 4;
        return 0;
    case 0xcb:
        *payload = 8;
        return 0;
    case 0xd9:
    case 0xc4:
        *head = 2;
        return 0; /* str8, bin8 */
    case 0xda:
    case 0xc5:
    case 0xdc:
    case 0xde:
        *head = 3;
        return 0;
    case 0xdb:
    case 0xc6:
    case 0xdd:
    case 0xdf:
        *head = 5;
        return 0;
    }
    if (t == 0xc1)
        PyErr_Format(PyExc_ValueError, "not msgpack: byte 0xc1 at offset %zu", at);
    else
        PyErr_Format(PyExc_ValueError,
                     "msgpack ext type (byte 0x%02x at offset %zu) is not part of gliad's protocol",
                     t, at);
    return -1;
}

/* The length a 2, 3 or 5-byte header carries, now that it is all there. */
static void codec_head_len(const unsigned char *p, int head, uint64_t *payload, uint64_t *items)
{
    if (head == 1)
        return;
    uint64_t n = codec_be(p + 1, head == 2 ? 1 : head - 1);
    unsigned t = p[0];
    if (t == 0xdc || t == 0xdd)
        *items = n;
    else if (t == 0xde || t == 0xdf)
        *items = 2 * n;
    else
        *payload = n;
}

/* Walks data[s->at, len) on from where the last call stopped: CODEC_DONE
 * with s->at just past the message, CODEC_MORE when the data ends inside
 * it (s->at at the header to read next), CODEC_ERROR with the error set. */
static int codec_scan_message(codec_scan *s, const unsigned char *data, size_t len)
{
    while (s->at < len) {
        unsigned t = data[s->at];
        int head;
        uint64_t payload, items;
        if (codec_head(data + s->at, s->at, &head, &payload, &items) < 0)
            return CODEC_ERROR;
        if (len - s->at < (size_t)head)
            return CODEC_MORE;
        codec_head_len(data + s->at, head, &payload, &items);
        if (payload > len - s->at - (size_t)head)
            return CODEC_MORE;
        s->at += (size_t)head + (size_t)payload;
        int container = (t & 0xe0) == 0x80 || t == 0xdc || t == 0xdd || t == 0xde || t == 0xdf;
        if (container && items > 0) {
            if (s->depth == CODEC_MAX_DEPTH) {
                PyErr_Format(PyExc_ValueError,
                             "msgpack nested deeper than %d arrays and maps (offset %zu)",
                             CODEC_MAX_DEPTH, s->at - head);
                return CODEC_ERROR;
            }
            s->left[s->depth++] = items;
            continue;
        }
        /* An item is complete, and with it every container it was the last of. */
        while (s->depth > 0 && --s->left[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0)
            return CODEC_DONE;
    }
    return CODEC_MORE;
}

/* ---- decoding what a scan vouched for ---------------------------------- */

static PyObject *codec_decode(const unsigned char *p, size_t *at);

static PyObject *codec_decode_map(const unsigned char *p, size_t *at, uint64_t n)
{
    PyObject *d = PyDict_New();
    for (uint64_t i = 0; d && i < n; i++) {
        size_t key_at = *at;
        PyObject *k = codec_decode(p, at);
        if (k && !PyUnicode_CheckExact(k) && !PyBytes_CheckExact(k)) {
            PyErr_Format(PyExc_ValueError,
                         "a map key of type %.100s at offset %zu: gliad's "
                         "protocol has str keys",
                         Py_TYPE(k)->tp_name, key_at);
            Py_CLEAR(k);
        }
        PyObject *v = k ? codec_decode(p, at) : NULL;
        if (!v || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *codec_decode_array(const unsigned char *p, size_t *at, uint64_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (uint64_t i = 0; l && i < n; i++) {
        PyObject *v = codec_decode(p, at);
        if (!v)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

static PyObject *codec_decode_number(unsigned t, const unsigned char *q)
{
    switch (t) {
    case 0xca: {
        uint32_t bits = (uint32_t)codec_be(q, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        return PyFloat_FromDouble(f);
    }
    case 0xcb: {
        uint64_t bits = codec_be(q, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        return PyFloat_FromDouble(d);
    }
    case 0xd0:
        return PyLong_FromLong((int8_t)q[0]);
    case 0xd1:
        return PyLong_FromLong((int16_t)codec_be(q, 2));
    case 0xd2:
        return PyLong_FromLong((int32_t)codec_be(q, 4));
    case 0xd3:
        return PyLong_FromLongLong((int64_t)codec_be(q, 8));
    }
    return PyLong_FromUnsignedLongLong(codec_be(q, 1 << (t & 3))); /* 0xcc..0xcf */
}

static PyObject *codec_decode(const unsigned char *p, size_t *at)
{
    int head;
    uint64_t payload, items;
    const unsigned char *h = p + *at;
    unsigned t = h[0];
    codec_head(h, *at, &head, &payload, &items); /* the scan accepted it */
    codec_head_len(h, head, &payload, &items);
    *at += (size_t)head + (size_t)payload;
    const char *q = (const char *)h + head;
    if (t <= 0x7f)
        return PyLong_FromLong((long)t);
    if (t >= 0xe0)
        return PyLong_FromLong((long)(int8_t)t);
    if ((t & 0xe0) == 0xa0 || t == 0xd9 || t == 0xda || t == 0xdb)
        return PyUnicode_DecodeUTF8(q, (Py_ssize_t)payload, "surrogateescape");
    if (t == 0xc4 || t == 0xc5 || t == 0xc6)
        return PyBytes_FromStringAndSize(q, (Py_ssize_t)payload);
    if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd)
        return codec_decode_array(p, at, items);
    if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf)
        return codec_decode_map(p, at, items / 2);
    if (t == 0xc0)
        Py_RETURN_NONE;
    if (t == 0xc2)
        Py_RETURN_FALSE;
    if (t == 0xc3)
        Py_RETURN_TRUE;
    return codec_decode_number(t, h + 1);
}

/* unpackb(data): the one message data holds. */
static PyObject *codec_unpackb(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *data = view.buf;
    size_t len = (size_t)view.len;
    codec_scan *s = PyMem_Calloc(1, sizeof *s);
    PyObject *r = NULL;
    int rc = s ? codec_scan_message(s, data, len) : CODEC_ERROR;
    if (!s)
        PyErr_NoMemory();
    else if (rc == CODEC_MORE)
        PyErr_Format(PyExc_ValueError, "truncated msgpack: %zu bytes end inside a message", len);
    else if (rc == CODEC_DONE && s->at != len)
        PyErr_Format(PyExc_ValueError, "extra data: a message of %zu bytes, then %zu more", s->at,
                     len - s->at);
    else if (rc == CODEC_DONE) {
        size_t at = 0;
        r = codec_decode(data, &at);
    }
    PyMem_Free(s);
    PyBuffer_Release(&view);
    return r;
}

/* ---- the Unpacker: messages from a stream ------------------------------- */

typedef struct {
    PyObject_HEAD unsigned char *data;
    size_t len, cap;
    size_t start; /* where the next message begins; scan.at is how far it was checked */
    size_t max;   /* the most bytes it holds unread */
    codec_scan scan;
} codec_unpacker;

static int codec_unpacker_init(codec_unpacker *u, PyObject *args, PyObject *kw)
{
    static char *names[] = {"max_buffer_size", NULL};
    Py_ssize_t max = 64 << 20;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|n:Unpacker", names, &max))
        return -1;
    if (max <= 0) {
        PyErr_SetString(PyExc_ValueError, "max_buffer_size must be positive");
        return -1;
    }
    u->max = (size_t)max;
    return 0;
}

static void codec_unpacker_dealloc(codec_unpacker *u)
{
    PyMem_Free(u->data);
    Py_TYPE(u)->tp_free((PyObject *)u);
}

/* Moves what is unread to the front, so a long-lived connection's buffer
 * holds no more than one message. */
static void codec_unpacker_compact(codec_unpacker *u)
{
    if (u->start == 0)
        return;
    memmove(u->data, u->data + u->start, u->len - u->start);
    u->len -= u->start;
    u->scan.at -= u->start;
    u->start = 0;
}

static PyObject *codec_unpacker_feed(codec_unpacker *u, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    codec_unpacker_compact(u);
    size_t n = (size_t)view.len;
    if (n > u->max - u->len) {
        PyErr_Format(PyExc_ValueError,
                     "a message from gliad over %zu bytes: more than this client takes", u->max);
        PyBuffer_Release(&view);
        return NULL;
    }
    if (u->len + n > u->cap) {
        size_t cap = u->cap ? u->cap : 65536;
        while (cap < u->len + n)
            cap *= 2;
        unsigned char *d = PyMem_Realloc(u->data, cap);
        if (!d) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
        u->data = d;
        u->cap = cap;
    }
    memcpy(u->data + u->len, view.buf, n);
    u->len += n;
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* The next whole message, or NULL without an error (StopIteration) when it
 * has not all arrived yet. */
static PyObject *codec_unpacker_next(codec_unpacker *u)
{
    int rc = codec_scan_message(&u->scan, u->data, u->len);
    if (rc != CODEC_DONE)
        return NULL;
    size_t at = u->start;
    u->start = u->scan.at; /* past it even if it cannot be decoded: the next is sound */
    return codec_decode(u->data, &at);
}

static PyObject *codec_iter_self(PyObject *self)
{
    Py_INCREF(self);
    return self;
}

static PyMethodDef codec_unpacker_methods[] = {
    {"feed", (PyCFunction)codec_unpacker_feed, METH_O, "feed(data): bytes read from the stream"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject codec_unpacker_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "glia._speedups.Unpacker",
    .tp_basicsize = sizeof(codec_unpacker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Unpacker(max_buffer_size=64 MiB): msgpack messages from a stream, fed in "
              "pieces; iterating yields each whole message as it arrives.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)codec_unpacker_init,
    .tp_dealloc = (destructor)codec_unpacker_dealloc,
    .tp_iter = codec_iter_self,
    .tp_iternext = (iternextfunc)codec_unpacker_next,
    .tp_methods = codec_unpacker_methods,
};

static PyMethodDef codec_methods[] = {
    {"packb", codec_packb, METH_O, "packb(obj) -> bytes: obj in msgpack"},
    {"unpackb", codec_unpackb, METH_O, "unpackb(data) -> obj: the one msgpack message data holds"},
    {NULL, NULL, 0, NULL},
};

int codec_add_to_module(PyObject *module)
{
    if (PyType_Ready(&codec_unpacker_type) < 0)
        return -1;
    Py_INCREF(&codec_unpacker_type);
    if (PyModule_AddObject(module, "Unpacker", (PyObject *)&codec_unpacker_type) < 0) {
        Py_DECREF(&codec_unpacker_type);
        return -1;
    }
    return PyModule_AddFunctions(module, codec_methods);
}
