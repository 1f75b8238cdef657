/*
 * place: a finished file moved into its content-addressed place in the
 * cache, durably, on a worker thread.
 *
 * Its data reaches the disk before the rename (a power cut leaves the old
 * state or the whole file, never an empty file at its key), its directory
 * after. fsync takes milliseconds to seconds on a loaded disk: never on the
 * loop thread, which answers every client.
 */
#ifndef GLIA_PLACE_H
#define GLIA_PLACE_H

#include <uv.h>

/* 0, or an errno value; src is gone when 0. */
typedef void (*place_done_fn)(void *ud, int err);

/* Moves src to dest (creating dest's dir) on a worker; done(ud, err) runs
 * on the loop thread. */
void place_file(uv_loop_t *loop, const char *src, const char *dest, place_done_fn done, void *ud);

#endif
