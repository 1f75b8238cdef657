/*
 * defer: a call made on the loop's next turn, before it polls for I/O, so
 * a caller's callers never see its completion inside the call that asked
 * for it. Arming it again before it has run still makes one call.
 *
 * Owned like timer.h's timers: defer_close means cb is never called again,
 * and the memory is freed once libuv has finished with the handle.
 */
#ifndef GLIA_DEFER_H
#define GLIA_DEFER_H

#include <uv.h>

struct defer;

typedef void (*defer_fn)(void *ctx);

struct defer *defer_new(uv_loop_t *loop, defer_fn cb, void *ctx);
/* Does nothing on NULL (a closed defer whose owner cleared its pointer). */
void defer_arm(struct defer *d);
/* NULL is allowed; closing twice is not. */
void defer_close(struct defer *d);

#endif
