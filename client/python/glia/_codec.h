/* The glia module's msgpack codec (_codec.c): packb, unpackb and
 * Unpacker, added to the glia._speedups module. */
#ifndef GLIA_CODEC_H
#define GLIA_CODEC_H

#include <Python.h>

/* Adds the codec's functions and type to module; -1 with the error set. */
int codec_add_to_module(PyObject *module);

#endif
