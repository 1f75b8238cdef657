/*
 * glia._speedups: glia.insert's common case in C.
 *
 * A model inserts the same few mechanisms into thousands of sections, and
 * glia.insert must cost at most 1.3x NEURON's own section.insert.
 * In Python the call, the checks and the MechAccessor alone cost more than
 * that margin; here they cost a dict lookup and a tuple. Anything but the
 * common case (a density mechanism already resolved, no pkg/variant/
 * attributes/x, a plain NEURON section) goes to the Python insert, which
 * also fills the dict this reads. Optional: without it glia is pure Python.
 *
 * The module also carries glia's wire codec (_codec.c).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_codec.h"

/* What make_insert was given; the module holds one set (one glia per process). */
static PyObject *fastpath;     /* its density dict and section type, read per call */
static PyTypeObject *accessor; /* glia.MechAccessor, a tuple subclass */
static PyObject *slow;         /* the Python insert, for everything else */
static PyObject *str_density, *str_section_type, *str_insert;

static PyObject *fallback(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    return PyObject_Vectorcall(slow, args, (size_t)nargs, kwnames);
}

/* The section type NEURON's library gives, once glia knows it. */
static int plain_section(PyObject *section)
{
    PyObject *type = PyObject_GetAttr(fastpath, str_section_type);
    int same = type == (PyObject *)Py_TYPE(section);
    Py_XDECREF(type);
    if (!type)
        PyErr_Clear();
    return same;
}

static PyObject *insert(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    if (nargs != 2 || kwnames || !PyUnicode_CheckExact(args[1]))
        return fallback(args, nargs, kwnames);
    PyObject *section = args[0], *asset = args[1];
    PyObject *fast = PyObject_GetAttr(fastpath, str_density);
    if (!fast)
        return NULL;
    /* Borrowed, and kept alive below: glia may drop the dict (a
     * notification, in a signal handler) while NEURON runs. */
    PyObject *full = PyDict_Check(fast) ? PyDict_GetItemWithError(fast, asset) : NULL;
    Py_XINCREF(full);
    Py_DECREF(fast);
    if (!full) {
        if (PyErr_Occurred())
            return NULL;
        return fallback(args, nargs, kwnames);
    }
    if (!plain_section(section)) {
        Py_DECREF(full);
        return fallback(args, nargs, kwnames);
    }
    PyObject *r = PyObject_CallMethodOneArg(section, str_insert, full);
    if (!r) {
        Py_DECREF(full);
        return NULL;
    }
    Py_DECREF(r);
#if PY_VERSION_HEX >= 0x030E0000
    /* 3.14 tuples cache their hash in a field only tuple's own constructor
     * sets: go through it (what tuple.__new__(MechAccessor, ...) does). */
    PyObject *items = PyTuple_Pack(3, section, full, Py_None);
    Py_DECREF(full);
    PyObject *targs = items ? PyTuple_Pack(1, items) : NULL; /* tuple(items) */
    Py_XDECREF(items);
    if (!targs)
        return NULL;
    PyObject *ma = PyTuple_Type.tp_new(accessor, targs, NULL);
    Py_DECREF(targs);
#else
    /* What tuple_subtype_new does, without the temporary tuple. */
    PyObject *ma = accessor->tp_alloc(accessor, 3);
    if (!ma) {
        Py_DECREF(full);
        return NULL;
    }
    Py_INCREF(section);
    Py_INCREF(Py_None);
    PyTuple_SET_ITEM(ma, 0, section);
    PyTuple_SET_ITEM(ma, 1, full); /* the reference taken above */
    PyTuple_SET_ITEM(ma, 2, Py_None);
#endif
    return ma;
}

static PyMethodDef insert_def = {
    "insert", (PyCFunction)(void (*)(void))insert, METH_FASTCALL | METH_KEYWORDS,
    "insert(section, asset, variant=None, pkg=None, /, attributes=None, x=None)\n--\n\n"
    "Insert a mechanism or point process into a Section (see glia's own docs)."};

/* make_insert(fastpath, MechAccessor, python_insert) -> insert */
static PyObject *make_insert(PyObject *mod, PyObject *args)
{
    PyObject *m, *t, *s;
    if (!PyArg_ParseTuple(args, "OO!O:make_insert", &m, &PyType_Type, &t, &s))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)t, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "make_insert: MechAccessor must be a tuple subclass");
        return NULL;
    }
    Py_INCREF(m);
    Py_INCREF(t);
    Py_INCREF(s);
    Py_XSETREF(fastpath, m);
    Py_XSETREF(accessor, (PyTypeObject *)t);
    Py_XSETREF(slow, s);
    PyObject *name = PyModule_GetNameObject(mod);
    if (!name)
        return NULL;
    PyObject *f = PyCFunction_NewEx(&insert_def, NULL, name);
    Py_DECREF(name);
    return f;
}

static PyMethodDef methods[] = {
    {"make_insert", make_insert, METH_VARARGS,
     "make_insert(fastpath, MechAccessor, insert) -> insert: fastpath.density and "
     "fastpath.section_type are read at every call"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "glia._speedups",
    "glia.insert's common case and wire codec in C.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
    str_density = PyUnicode_InternFromString("density");
    str_section_type = PyUnicode_InternFromString("section_type");
    str_insert = PyUnicode_InternFromString("insert");
    if (!str_density || !str_section_type || !str_insert)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m && codec_add_to_module(m) < 0)
        Py_CLEAR(m);
    return m;
}
