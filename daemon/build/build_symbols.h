/*
 * build_symbols: what NEURON's libraries define, which every link checks the
 * packages' objects against (build_link.c).
 */
#ifndef GLIA_BUILD_SYMBOLS_H
#define GLIA_BUILD_SYMBOLS_H

#include <uv.h>

struct build_symbols;
struct toolchain;

/* Starts reading them: once per gliad, once the toolchain is detected. */
struct build_symbols *build_symbols_load(uv_loop_t *loop, const struct toolchain *tc);
void build_symbols_free(struct build_symbols *s);

#endif
